"""The payloads of stream events, as Mastodon sends them: JSON text inside the event.

A status is rendered once per process, site and version, whoever many streams carry it (the
viewer's own flags ``favourited``, ``reblogged``, ``bookmarked``, ``pinned`` are false in streamed
statuses); whether a listener may see it is decided per listener by the one visibility rule
(:func:`posts.visibility.post_visible` on the listener's cached blocks, mutes and follows, no query
for an open post). A notification concerns one user and is rendered for them."""

import asyncio
import json
from collections import OrderedDict

from channels.db import database_sync_to_async

from posts.models import Retweet
from posts.selectors import post_list
from posts.visibility import post_visible
from users.models import User
from users.selectors import relationship_sets

from ..entities.notification import notification_entities
from ..entities.status import Reblog, status_entities
from ..views.rendering import post_dicts

VIEWER_FLAGS = ("favourited", "reblogged", "bookmarked", "pinned")
RENDERED_KEPT = 256

_rendered: OrderedDict[tuple, asyncio.Future] = OrderedDict()


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def status_json(message: dict, *, request) -> str | None:
    """The Status of a post (or of a reblog: ``retweet_id``), for its author's audience; None when
    it is gone."""
    reblog = None
    post_id = message["status_id"]
    if message.get("retweet_id"):
        row = Retweet.objects.filter(pk=message["retweet_id"]).values("post_id", "user_id", "created_at").first()
        if row is None:
            return None
        post_id = row["post_id"]
        reblog = Reblog(message["retweet_id"], row["user_id"], row["created_at"])
    author = User.objects.filter(posts__id=post_id, is_active=True).first()
    if author is None:
        return None
    data = post_dicts(post_list(viewer=author).filter(pk=post_id), request=request)
    statuses = status_entities([(post, reblog) for post in data], viewer=author, request=request)
    if not statuses:
        return None
    status = statuses[0]
    for entity in (status, status.get("reblog")):
        for flag in VIEWER_FLAGS:
            if entity is not None and flag in entity:
                entity[flag] = False
    return dumps(status)


async def status_payload(message: dict, *, request) -> str | None:
    """:func:`status_json` once for every stream of this process and site asking for it."""
    key = (
        id(asyncio.get_running_loop()),
        message["status_id"],
        message.get("version", ""),
        request.build_absolute_uri("/"),
    )
    future = _rendered.get(key)
    if future is None:
        future = asyncio.ensure_future(database_sync_to_async(status_json)(message, request=request))
        _rendered[key] = future
        while len(_rendered) > RENDERED_KEPT:
            _rendered.popitem(last=False)
    return await asyncio.shield(future)


def status_visible(viewer, message: dict) -> bool:
    """The visibility rule for a streamed status, with blocks and mutes (as in the home feed); a
    reblog also needs its reblogger not hidden from the viewer."""
    reblogger = message.get("reblogger_id")
    if reblogger is not None and reblogger in relationship_sets(viewer).hidden(mutes=True):
        return False
    return post_visible(
        viewer,
        post={"visibility": message["visibility"], "author": message["author_id"]},
        author={"id": message["author_id"], "is_protected": message["protected"]},
        context="feed",
    )


def notification_json(data: dict, *, viewer, request) -> str | None:
    entities = notification_entities([data], viewer=viewer, request=request)
    return dumps(entities[0]) if entities else None
