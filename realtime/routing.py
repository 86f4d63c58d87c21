"""WebSocket routes."""

from django.urls import path, re_path

from rooms.consumers import RoomConsumer

from .consumers import EventsConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    re_path(r"^ws/rooms/(?P<room_id>\d+)/$", RoomConsumer.as_asgi()),
]
