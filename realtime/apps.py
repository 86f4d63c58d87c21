from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """WebSockets: live events for each user, authentication of sockets, and pushing from the
    Celery path that stores events."""

    name = "realtime"
    default_auto_field = "django.db.models.BigAutoField"
