"""Mastodon's Tag: as a status names it, and with its history (trends, search, ``/tags/:name``)."""

from collections.abc import Sequence

from posts.models import Hashtag
from posts.selectors import hashtag_history

from .common import tag_url


def status_tag_entity(name: str, *, request) -> dict:
    return {"name": name, "url": tag_url(name, request=request)}


def tag_entities(hashtags: Sequence[Hashtag], *, request) -> list[dict]:
    """Tags with a week's ``history`` (today first; numbers as strings, days as Unix times of their
    midnight, UTC), in one query for all. A hashtag never used (not saved) has the id ``""`` and a
    history of zeros, as Mastodon shows a tag it does not know yet. ``following`` (no followed tags:
    false) for a user's token only."""
    # An unsaved hashtag's history is that of the id 0, which no hashtag has: zeros.
    histories = hashtag_history(hashtag_ids=[tag.pk or 0 for tag in hashtags])
    user = getattr(request, "user", None)
    entities = []
    for tag in hashtags:
        history = histories[tag.pk or 0]
        entity = {
            "id": "" if tag.pk is None else str(tag.pk),
            "name": tag.name,
            "url": tag_url(tag.name, request=request),
            "history": [
                {"day": str(int(day["day"].timestamp())), "uses": str(day["uses"]), "accounts": str(day["accounts"])}
                for day in history
            ],
        }
        if user is not None and user.is_authenticated:
            entity["following"] = False
        entities.append(entity)
    return entities
