"""WebSocket routes, the socket counterpart of ``urls.py``. Any other path gets a socket too, closed
at once with 4004: as on the known paths, the handshake is accepted and the refusal is a close frame
with a code.

``http_urlpatterns``: the few HTTP paths served by consumers rather than Django views (the Mastodon
API's server-sent event streams, open for as long as the client reads); every other request goes to
Django."""

from django.urls import path, re_path

from mastodon_api.streaming.consumers import ServerSentEventsConsumer, StreamingSocketConsumer
from notifications.consumers import EventsConsumer
from realtime.consumers import UnknownPathConsumer
from rooms.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    re_path(r"^ws/rooms/(?P<room_id>\d+)/$", RoomConsumer.as_asgi()),
    re_path(r"^api/v1/streaming/?$", StreamingSocketConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]

http_urlpatterns = [
    re_path(
        r"^api/v1/streaming/(?P<stream>user|user/notification|public|public/local|hashtag|hashtag/local)/?$",
        ServerSentEventsConsumer.as_asgi(),
    ),
]
