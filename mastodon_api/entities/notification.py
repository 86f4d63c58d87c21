"""Mastodon's Notification from the native notifications (``NotificationSerializer``'s
representation: the same dicts the native API answers and ``/ws/events/`` pushes).

The native types map onto Mastodon's: ``like`` → ``favourite``, ``retweet`` → ``reblog``, ``reply``
and ``mention`` → ``mention``, ``follow`` and ``follow_request`` as they are. A direct message's
notification (``message``) has no Mastodon counterpart and is left out, as is one whose actor is
gone or whose status the viewer may no longer see (deleted, or its author blocked since).
Notifications are not grouped: ``group_key`` is ``ungrouped-<id>``, as Mastodon gives a
notification it does not group."""

from collections.abc import Sequence

from posts.selectors import post_list
from posts.serializers import PostSerializer

from .account import accounts_by_id
from .common import mastodon_datetime
from .status import status_entities

TYPES = {
    "like": "favourite",
    "retweet": "reblog",
    "reply": "mention",
    "mention": "mention",
    "follow": "follow",
    "follow_request": "follow_request",
}
# Mastodon types that carry the status they are about.
STATUS_TYPES = frozenset({"favourite", "reblog", "mention"})


def notification_entities(notifications: Sequence[dict], *, viewer, request) -> list[dict]:
    """The Notifications of native notification dicts (``id, type, actor, post, created_at``), in
    their order; three queries for the accounts and four for the statuses, whatever their number."""
    kept = [item for item in notifications if item["type"] in TYPES]
    accounts = accounts_by_id({item["actor"]["id"] for item in kept}, request=request)
    post_ids = {item["post"] for item in kept if item.get("post") and TYPES[item["type"]] in STATUS_TYPES}
    statuses: dict[int, dict] = {}
    if post_ids:
        posts = post_list(viewer=viewer).filter(pk__in=post_ids)
        data = PostSerializer(list(posts), many=True, context={"request": request}).data
        for status in status_entities([(post, None) for post in data], viewer=viewer, request=request):
            statuses[int(status["id"])] = status
    entities = []
    for item in kept:
        account = accounts.get(item["actor"]["id"])
        type_ = TYPES[item["type"]]
        if account is None:
            continue
        entity = {
            "id": str(item["id"]),
            "type": type_,
            "group_key": f"ungrouped-{item['id']}",
            "created_at": mastodon_datetime(item["created_at"]),
            "account": account,
        }
        if type_ in STATUS_TYPES:
            status = statuses.get(item.get("post"))
            if status is None:
                continue
            entity["status"] = status
        entities.append(entity)
    return entities
