"""The streams' consumers: server-sent events (one stream per request) and the multiplexed
WebSocket (any number of streams, subscribed and unsubscribed by frames), both fed by the channel
layer (see :mod:`.groups`). Neither holds a database connection or a thread while open: the token,
the visibility rule and rendering run in the shared thread pool, one short call at a time."""

import asyncio
import json
from urllib.parse import parse_qs

from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from rest_framework.request import Request

from realtime.events import CLOSE_AUTH_FAILED, user_sockets_group

from ..views.rendering import query_flag
from .auth import Streamer, StreamRefused, authenticate, connection_request
from .groups import token_group
from .payloads import notification_json, status_payload, status_visible
from .streams import Stream, stream_for

# Mastodon refuses a bad token with an HTTP 401 at the handshake; here the socket is accepted, then
# closed with CLOSE_AUTH_FAILED (4001), as this site's other sockets are.


def query_params(scope: dict) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}


class StreamingMixin:
    """Streams, their groups, and the events the channel layer brings them."""

    streamer: Streamer | None = None

    def setup_streams(self) -> None:
        self.streams: dict[tuple, Stream] = {}
        self.joined: set[str] = set()

    async def _sync_groups(self) -> None:
        wanted = set().union(*(stream.groups(self.streamer.user.pk) for stream in self.streams.values()))
        if self.streams or getattr(self, "open", False):
            # Closed when the token is revoked or the account's sessions end.
            wanted |= {token_group(self.streamer.token_id), user_sockets_group(self.streamer.user.pk)}
        for group in wanted - self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        for group in self.joined - wanted:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = wanted

    async def add_stream(self, stream: Stream) -> None:
        self.streams[(stream.name, stream.tag)] = stream
        await self._sync_groups()

    async def remove_stream(self, stream: Stream) -> None:
        self.streams.pop((stream.name, stream.tag), None)
        await self._sync_groups()

    async def leave_groups(self) -> None:
        if self.streamer is not None and getattr(self, "streams", None) is not None:
            self.streams, self.open = {}, False
            await self._sync_groups()

    async def emit(self, stream: Stream, event: str, payload: str) -> None:
        raise NotImplementedError

    # --- channel-layer messages ----------------------------------------------------------------

    async def mastodon_status(self, message: dict) -> None:
        if self.streamer is None:
            return
        streams = [stream for stream in self.streams.values() if stream.takes_status(message)]
        if not streams:
            return
        if message["event"] == "delete":
            payload = str(message["status_id"])
        else:
            visible = await database_sync_to_async(status_visible)(self.streamer.user, message)
            payload = await status_payload(message, request=self.streamer.request) if visible else None
            if payload is None:
                return
        for stream in streams:
            await self.emit(stream, message["event"], payload)

    async def push_frame(self, message: dict) -> None:
        """A native ``/ws/events/`` frame on the user's group: its notifications, as Mastodon's."""
        frame = message.get("frame") or {}
        if self.streamer is None or frame.get("type") != "notification":
            return
        streams = [stream for stream in self.streams.values() if stream.takes_notifications(self.streamer)]
        if not streams:
            return
        payload = await database_sync_to_async(notification_json)(
            frame["data"], viewer=self.streamer.user, request=self.streamer.request
        )
        if payload is None:
            return
        for stream in streams:
            await self.emit(stream, "notification", payload)

    async def close_socket(self, message: dict) -> None:
        """The token was revoked, or the account's sessions ended: the stream ends."""
        await self.end()

    async def end(self) -> None:
        raise NotImplementedError


class ServerSentEventsConsumer(StreamingMixin, AsyncConsumer):
    """``GET /api/v1/streaming/<stream>``: ``text/event-stream``, ``:)`` first, ``:thump`` every
    ``MASTODON_STREAMING_HEARTBEAT`` seconds, events as ``event: <name>\\ndata: <payload>\\n\\n``."""

    CORS = [(b"access-control-allow-origin", b"*")]

    async def http_request(self, message: dict) -> None:
        if message.get("more_body") or getattr(self, "started", False):
            return
        self.started = True
        self.setup_streams()
        self.heartbeat = None
        if self.scope.get("method") == "OPTIONS":
            await self._respond(
                204,
                b"",
                [
                    (b"access-control-allow-methods", b"GET, OPTIONS"),
                    (b"access-control-allow-headers", b"authorization, content-type"),
                ],
            )
            raise StopConsumer
        if self.scope.get("method") != "GET":
            await self._error(405, "Method not allowed")
            raise StopConsumer
        params = query_params(self.scope)
        name = self.scope["url_route"]["kwargs"]["stream"].replace("/", ":")
        try:
            self.streamer = await database_sync_to_async(authenticate)(connection_request(self.scope))
            only_media = query_flag(Request(self.streamer.request), "only_media")
            stream = stream_for(name, tag=params.get("tag"), only_media=only_media, streamer=self.streamer)
        except StreamRefused as refused:
            await self._error(refused.status, refused.error)
            raise StopConsumer from None
        await self.send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"private, no-store"),
                    (b"x-accel-buffering", b"no"),
                    *self.CORS,
                ],
            }
        )
        # Subscribed before the first byte: a client that has read it misses no event after it.
        await self.add_stream(stream)
        await self._write(":)\n")
        self.heartbeat = asyncio.ensure_future(self._beat())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(settings.MASTODON_STREAMING_HEARTBEAT)
            await self._write(":thump\n")

    async def _write(self, text: str) -> None:
        await self.send({"type": "http.response.body", "body": text.encode(), "more_body": True})

    async def _respond(self, status: int, body: bytes, headers: list) -> None:
        await self.send({"type": "http.response.start", "status": status, "headers": [*headers, *self.CORS]})
        await self.send({"type": "http.response.body", "body": body})

    async def _error(self, status: int, error: str) -> None:
        body = json.dumps({"error": error}).encode()
        await self._respond(status, body, [(b"content-type", b"application/json; charset=utf-8")])

    async def emit(self, stream: Stream, event: str, payload: str) -> None:
        await self._write(f"event: {event}\ndata: {payload}\n\n")

    async def http_disconnect(self, message: dict) -> None:
        await self._stop()
        raise StopConsumer

    async def _stop(self) -> None:
        if getattr(self, "heartbeat", None) is not None:
            self.heartbeat.cancel()
        await self.leave_groups()

    async def end(self) -> None:
        await self._stop()
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})
        raise StopConsumer


class StreamingSocketConsumer(StreamingMixin, AsyncWebsocketConsumer):
    """``/api/v1/streaming``: the token in ``access_token`` or as the ``Sec-WebSocket-Protocol``
    (echoed back); ``?stream=`` subscribes at once; frames ``{"type": "subscribe"|"unsubscribe",
    "stream", "tag"?}``; events ``{"stream": [...], "event", "payload"}``; errors
    ``{"error", "status"}``. A refused token: accepted, then closed with 4001."""

    async def connect(self):
        self.setup_streams()
        params = query_params(self.scope)
        protocols = self.scope.get("subprotocols") or []
        token = params.get("access_token")
        if not token and protocols:
            token = protocols[0]
        subprotocol = token if token and token in protocols else None
        try:
            self.streamer = await database_sync_to_async(authenticate)(connection_request(self.scope, token=token))
        except StreamRefused:
            await self.accept(subprotocol)
            await self.close(code=CLOSE_AUTH_FAILED)
            return
        await self.accept(subprotocol)
        self.open = True
        await self._sync_groups()
        if params.get("stream"):
            await self._subscribe({"stream": params["stream"], "tag": params.get("tag")})

    async def disconnect(self, code):
        await self.leave_groups()

    async def end(self) -> None:
        await self.leave_groups()
        await self.close(code=CLOSE_AUTH_FAILED)

    async def receive(self, text_data=None, bytes_data=None):
        if self.streamer is None:
            return
        try:
            frame = json.loads(text_data or "")
        except (ValueError, RecursionError):
            frame = None
        if not isinstance(frame, dict) or frame.get("type") not in ("subscribe", "unsubscribe"):
            await self._send_error(400, "Unknown message type")
            return
        if frame["type"] == "subscribe":
            await self._subscribe(frame)
        else:
            stream = self._stream(frame)
            if stream is not None:
                await self.remove_stream(stream)

    def _stream_or_refusal(self, frame: dict) -> Stream:
        name, tag = frame.get("stream"), frame.get("tag")
        return stream_for(
            name if isinstance(name, str) else None,
            tag=tag if isinstance(tag, str) else None,
            only_media=False,  # named in the stream here: public:media, public:local:media
            streamer=self.streamer,
        )

    def _stream(self, frame: dict) -> Stream | None:
        try:
            return self._stream_or_refusal(frame)
        except StreamRefused:
            return None

    async def _subscribe(self, frame: dict) -> None:
        try:
            stream = self._stream_or_refusal(frame)
        except StreamRefused as refused:
            await self._send_error(refused.status, refused.error)
            return
        await self.add_stream(stream)

    async def _send_error(self, status: int, error: str) -> None:
        await self.send(text_data=json.dumps({"error": error, "status": status}))

    async def emit(self, stream: Stream, event: str, payload: str) -> None:
        await self.send(text_data=json.dumps({"stream": stream.label, "event": event, "payload": payload}))
