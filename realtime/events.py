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
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("could not send %s to %s", message.get("type"), group)


def send_to_group(group: str, frame: dict) -> None:
    """A frame the server made; each socket makes its file URLs absolute for its own site."""
    group_send(group, {"type": "push.frame", "frame": frame, "server": True})


def push(user_ids: Iterable[int], type_: str, data) -> None:
    """``{"type": type_, "data": data}`` to each user's event sockets (``/ws/events/``)."""
    for user_id in dict.fromkeys(user_ids):
        send_to_group(user_group(user_id), {"type": type_, "data": data})


def close_group(group: str, code: int = 1000) -> None:
    group_send(group, {"type": "close.socket", "code": code})
