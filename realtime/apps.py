from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """WebSockets as a transport that knows no feature: authentication of sockets, groups, and
    pushing frames the features build (``events.push``) from views, services and Celery tasks."""

    name = "realtime"
    default_auto_field = "django.db.models.BigAutoField"
