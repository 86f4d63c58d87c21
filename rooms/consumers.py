"""``/ws/rooms/{id}/``: signaling between the participants of a room, and its broadcasts.

After auth, the room must exist and be live (else close 4004) and the user must be a participant
who joined through REST and has not left (else close 4003). A participant sends
``{"type": "offer"|"answer"|"ice_candidate", "to": <user id>, "data": {...}}``; the addressee's room
sockets alone receive ``{"type", "from": <sender id>, "data"}``. A frame addressed to someone who is
not a participant, or malformed, earns the sender an ``error`` frame. Room events (``joined``,
``left``, ``role_changed``, ``hand_raised``, ``ended``) come from the REST side. When a participant's
last socket closes, they stay in the room for ``ROOM_PRESENCE_GRACE_SECONDS``; if no socket of theirs
is back by then, they leave it. Each open socket marks its participant seen every
``ROOM_PRESENCE_HEARTBEAT_SECONDS``, so that the beat's presence sweep can tell the sockets of a web
process that died (and whose expiry timers died with it).
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from mini_twitter.api.ids import MAX_ID
from realtime.auth import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, AuthenticatedJsonConsumer, Refused

from . import services
from .models import Participant, Room

logger = logging.getLogger(__name__)

SIGNALING_TYPES = {"offer", "answer", "ice_candidate"}
_presence_timers: set[asyncio.Task] = set()


@database_sync_to_async
def _room_access(room_id: int, user_id: int) -> int | None:
    room = Room.objects.filter(pk=room_id).values("status").first()
    if room is None or room["status"] != Room.Status.LIVE:
        return CLOSE_NOT_FOUND
    if not Participant.objects.filter(room_id=room_id, user_id=user_id).exists():
        return CLOSE_FORBIDDEN
    return None


@database_sync_to_async
def _is_participant(room_id: int, user_id: int) -> bool:
    return Participant.objects.filter(room_id=room_id, user_id=user_id).exists()


async def _heartbeat(room_id: int, user_id: int) -> None:
    while True:
        await asyncio.sleep(settings.ROOM_PRESENCE_HEARTBEAT_SECONDS)
        try:
            await database_sync_to_async(services.presence_seen)(room_id=room_id, user_id=user_id)
        except Exception:
            logger.exception("presence heartbeat failed for user %s in room %s", user_id, room_id)


async def _expire_later(room_id: int, user_id: int) -> None:
    await asyncio.sleep(settings.ROOM_PRESENCE_GRACE_SECONDS + 0.5)
    try:
        await database_sync_to_async(services.presence_expire)(room_id=room_id, user_id=user_id)
    except Exception:
        logger.exception("presence expiry failed for user %s in room %s", user_id, room_id)


class RoomConsumer(AuthenticatedJsonConsumer):
    async def authorize(self, user):
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        refusal = await _room_access(self.room_id, user.pk)
        if refusal:
            raise Refused(refusal)

    async def subscribe(self):
        await self.join_group(services.room_group(self.room_id))
        await self.join_group(services.room_user_group(self.room_id, self.user.pk))
        await database_sync_to_async(services.socket_opened)(room_id=self.room_id, user_id=self.user.pk)
        self.heartbeat = asyncio.ensure_future(_heartbeat(self.room_id, self.user.pk))
        # The heartbeat ends with this socket's application instance, however that ends (a
        # cancelled instance never gets to ``on_disconnect``).
        asyncio.current_task().add_done_callback(lambda _: self.heartbeat.cancel())

    async def on_disconnect(self):
        if heartbeat := getattr(self, "heartbeat", None):
            heartbeat.cancel()
        await database_sync_to_async(services.socket_closed)(room_id=self.room_id, user_id=self.user.pk)
        timer = asyncio.ensure_future(_expire_later(self.room_id, self.user.pk))
        _presence_timers.add(timer)  # a reference, so the pending timer is not garbage-collected
        timer.add_done_callback(_presence_timers.discard)

    async def receive_frame(self, frame):
        type_, to, data = frame.get("type"), frame.get("to"), frame.get("data")
        if type_ not in SIGNALING_TYPES:
            await self.send_frame("error", {"detail": "type must be one of offer, answer, ice_candidate."})
            return
        if not isinstance(to, int) or isinstance(to, bool) or not 1 <= to <= MAX_ID or not isinstance(data, dict):
            await self.send_frame(
                "error", {"detail": "A signaling frame needs a user id in `to` and an object in `data`."}
            )
            return
        if to == self.user.pk or not await _is_participant(self.room_id, to):
            await self.send_frame("error", {"detail": f"User {to} is not another participant of this room."})
            return
        await self.channel_layer.group_send(
            services.room_user_group(self.room_id, to),
            {"type": "push.frame", "frame": {"type": type_, "from": self.user.pk, "data": data}},
        )
