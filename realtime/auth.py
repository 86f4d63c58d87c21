"""Authenticated sockets: the handshake is always accepted, then the first frame must carry an
access JWT (``{"type": "auth", "token": ...}``) within ``AUTH_TIMEOUT`` seconds. Every refusal is a
close frame with a code, never a refused handshake."""

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser as User
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from .absolute import absolute_urls, site_url
from .events import CLOSE_AUTH_FAILED, session_sockets_group, user_sockets_group

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4003
CLOSE_NOT_FOUND = 4004


class Refused(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


# Far more than a signaling payload needs, and little enough that passing a frame on (the channel
# layer's copy or serialization, then json.dumps) never runs out of stack.
MAX_FRAME_DEPTH = 32


def parse_frame(text: str | None) -> object:
    """The JSON value of a text frame; None for a binary frame, text that is not JSON, or a value
    nested deeper than ``MAX_FRAME_DEPTH`` (json.loads raises RecursionError on very deep text)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    containers = [value] if isinstance(value, (dict, list)) else []
    for _ in range(MAX_FRAME_DEPTH):
        containers = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, (dict, list))
        ]
    return None if containers else value


def bearer_authentication():
    """The REST API's bearer-token authentication (the first of DRF's authentication classes,
    ``SessionJWTAuthentication``): sockets check tokens exactly as the REST API does, without this
    transport knowing the accounts app."""
    return api_settings.DEFAULT_AUTHENTICATION_CLASSES[0]()


def token_claims(token: object) -> tuple[int, str | None] | None:
    """The user id and login session an access token names, if it is one (signature, expiry and
    type checked; no query): the groups its socket joins before the account is checked."""
    if not isinstance(token, str) or not token:
        return None
    try:
        authentication = bearer_authentication()
        validated = authentication.get_validated_token(token)
        return validated[jwt_settings.USER_ID_CLAIM], authentication.session_of(validated)
    except (InvalidToken, KeyError):
        return None


@database_sync_to_async
def user_for_token(token: object) -> tuple[User, str | None] | None:
    """The active user an access token (not a refresh token) belongs to and its login session, or
    None: checked exactly as the REST API checks its bearer tokens (``SessionJWTAuthentication``:
    not expired, password unchanged since, session not logged out)."""
    if not isinstance(token, str) or not token:
        return None
    authentication = bearer_authentication()
    try:
        validated = authentication.get_validated_token(token)
        return authentication.get_user(validated), authentication.session_of(validated)
    except (InvalidToken, AuthenticationFailed):
        return None


class AuthenticatedJsonConsumer(AsyncWebsocketConsumer):
    """Accepts, waits for the auth frame, runs :meth:`authorize`, then says ``auth_ok``. Subclasses
    get JSON frames in :meth:`receive_frame` and send with :meth:`send_frame`."""

    user: User | None = None

    async def connect(self):
        self.user = None
        self.groups_joined: list[str] = []
        await self.accept()
        self.auth_deadline = asyncio.ensure_future(self._close_unless_authenticated())

    async def _close_unless_authenticated(self):
        await asyncio.sleep(settings.WEBSOCKET_AUTH_TIMEOUT)
        if self.user is None:
            await self.close(code=CLOSE_AUTH_FAILED)

    async def disconnect(self, code):
        self.auth_deadline.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.user is not None:
            await self.on_disconnect()

    async def receive(self, text_data=None, bytes_data=None):
        frame = parse_frame(text_data)
        if self.user is None:
            await self._authenticate(frame)
            return
        if not isinstance(frame, dict):
            await self.send_frame(
                "error", {"detail": f"Frames must be JSON objects, nested at most {MAX_FRAME_DEPTH} levels deep."}
            )
            return
        await self.receive_frame(frame)

    async def _authenticate(self, frame):
        token = frame.get("token") if isinstance(frame, dict) and frame.get("type") == "auth" else None
        claims = token_claims(token)
        if claims is None:
            await self.close(code=CLOSE_AUTH_FAILED)
            return
        # Closed with 4001 when the password is set or the account deactivated, or when this login
        # session logs out. Joined before the account and session are checked: a revocation
        # committed before the check fails it, and one committed after it reaches this socket.
        user_id, sid = claims
        await self.join_group(user_sockets_group(user_id))
        if sid is not None:
            await self.join_group(session_sockets_group(sid))
        found = await user_for_token(token)
        if found is None:
            await self.close(code=CLOSE_AUTH_FAILED)
            return
        user, sid = found
        try:
            await self.authorize(user)
        except Refused as refused:
            await self.close(code=refused.code)
            return
        self.auth_deadline.cancel()
        self.user = user
        # Subscribed before ``auth_ok``: a client that has it misses no event sent after it.
        await self.subscribe()
        await self.send_frame("auth_ok", {"user_id": user.pk})
        await self.on_authenticated()

    async def join_group(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def send_frame(self, type_: str, data, **extra) -> None:
        await self.send(text_data=json.dumps({"type": type_, **extra, "data": data}))

    # --- hooks ---------------------------------------------------------------------------------

    async def authorize(self, user: User) -> None:
        """Raise :class:`Refused` to close with a code after a valid token."""

    async def subscribe(self) -> None:
        """Join the socket's groups (and note its presence) once authorized, before ``auth_ok``."""

    async def on_authenticated(self) -> None:
        """Frames to send right after ``auth_ok``."""

    async def on_disconnect(self) -> None:
        pass

    async def receive_frame(self, frame: dict) -> None:
        await self.send_frame("error", {"detail": "This socket takes no frames after auth."})

    # --- group messages ------------------------------------------------------------------------

    async def push_frame(self, event):
        """A frame pushed to a group this socket is in: ``{"frame": {...}}``; a frame the server
        serialized (``"server": true``, not a participant's signaling) gets absolute file URLs."""
        frame = event["frame"]
        if event.get("server"):
            if not hasattr(self, "site_url"):
                self.site_url = site_url(self.scope)
            frame = absolute_urls(frame, self.site_url)
        await self.send(text_data=json.dumps(frame))

    async def close_socket(self, event):
        await self.close(code=event.get("code", 1000))
