from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The unread messages ride in notifications' ``unread_count`` frame, as ``messages``.
        from notifications.push import unread_counter_register

        from .selectors import message_unread_count

        unread_counter_register(name="messages", counter=message_unread_count)
