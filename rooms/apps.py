from django.apps import AppConfig


class RoomsConfig(AppConfig):
    """Live audio rooms: the server keeps rooms, roles and signaling; audio goes peer to peer."""

    name = "rooms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Lower layers announce, upper layers subscribe: users knows nothing of rooms.
        from users.signals import block_created

        from .handlers import block_created_leave_rooms

        block_created.connect(block_created_leave_rooms, dispatch_uid="rooms.block_created_leave_rooms")
