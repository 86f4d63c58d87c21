from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Lower layers announce, upper layers subscribe: users knows nothing of notifications.
        from users.signals import follow_created, follow_requested

        from .handlers import follow_created_notify, follow_requested_notify

        follow_created.connect(follow_created_notify, dispatch_uid="notifications.follow_created_notify")
        follow_requested.connect(follow_requested_notify, dispatch_uid="notifications.follow_requested_notify")
