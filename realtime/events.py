"""Pushing events to users' sockets, from synchronous code (views, services, Celery tasks). A
transport that knows no feature: the features build their frames' data and call :func:`push`.

Frames go through the channel layer (Redis when ``REDIS_URL`` is set, so a worker process reaches
sockets held by the web processes; in memory otherwise, where tasks run inline in the web process).
Callers push after commit, so nothing is pushed that was rolled back.
"""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# The close code of a socket whose token is refused, or whose session or account is revoked.
CLOSE_AUTH_FAILED = 4001


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def user_sockets_group(user_id: int) -> str:
    """Every authenticated socket of the user, events and rooms alike (closed when the password is set)."""
    return f"sockets.user.{user_id}"


def session_sockets_group(sid: str) -> str:
    """The sockets opened with the access tokens of one login session (closed at its logout)."""
    return f"sockets.session.{sid}"


def group_send(group: str, message: dict) -> None:
    """A channel-layer message to a group, from synchronous code; a failure is logged, never raised
    (the write that announces it has committed)."""
    group_send_many([(group, message)])


def group_send_many(messages: Iterable[tuple[str, dict]]) -> None:
    """Messages to their groups, from synchronous code, in one event loop: the channel layer keeps
    its connections per loop, so each synchronous call would connect again (about 4 ms a group).
    A failure is logged, never raised, and the other groups still get theirs."""
    layer = get_channel_layer()
    messages = list(messages)
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, message in messages:
            try:
                await layer.group_send(group, message)
            except Exception:
                logger.exception("could not send %s to %s", message.get("type"), group)

    try:
        async_to_sync(send_all)()
    except Exception:
        logger.exception("could not send %d messages to their groups", len(messages))


def frame_message(frame: dict) -> dict:
    """The channel-layer message of a frame the server made; each socket makes its file URLs
    absolute for its own site."""
    return {"type": "push.frame", "frame": frame, "server": True}


def send_to_group(group: str, frame: dict) -> None:
    group_send(group, frame_message(frame))


def push(user_ids: Iterable[int], type_: str, data) -> None:
    """``{"type": type_, "data": data}`` to each user's event sockets (``/ws/events/``)."""
    message = frame_message({"type": type_, "data": data})
    group_send_many((user_group(user_id), message) for user_id in dict.fromkeys(user_ids))


def close_group(group: str, code: int = 1000) -> None:
    group_send(group, {"type": "close.socket", "code": code})
