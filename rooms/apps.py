from django.apps import AppConfig


class RoomsConfig(AppConfig):
    """Live audio rooms: the server keeps rooms, roles and signaling; audio goes peer to peer."""

    name = "rooms"
    default_auto_field = "django.db.models.BigAutoField"
