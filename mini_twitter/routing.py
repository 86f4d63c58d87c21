"""WebSocket routes, the socket counterpart of ``urls.py``. Any other path gets a socket too, closed
at once with 4004: as on the known paths, the handshake is accepted and the refusal is a close frame
with a code."""

from django.urls import path, re_path

from notifications.consumers import EventsConsumer
from realtime.consumers import UnknownPathConsumer
from rooms.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    re_path(r"^ws/rooms/(?P<room_id>\d+)/$", RoomConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
