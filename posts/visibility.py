"""Which posts a viewer may see: the one rule every read of posts goes through (lists, filters,
detail, the actions naming a post, replies, hashtags, search, trending, the feed's items, the
microblog API).

A post is visible when its author's account is active and neither the author nor the viewer blocks
the other; in the viewer's feed, replies and search results (``context``), also not when the viewer
mutes the author now. The rule has two forms that must agree: :func:`post_visible_q`, a filter for
queries, and :func:`post_visible`, the same test for a post already loaded as plain data (the feed's
cached representations), which costs no query beyond the viewer's cached relationship sets.
"""

from collections.abc import Mapping
from typing import Literal

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from users.selectors import RelationshipSets, relationship_exclude_q, relationship_sets

from .models import Post

Context = Literal["default", "feed", "replies", "search"]

# Where a mute hides the muted account's posts; everywhere else (their profile, their posts by id,
# hashtag lists...) they stay readable.
MUTED_CONTEXTS = frozenset({"feed", "replies", "search"})


def post_visible_q(viewer, *, prefix: str = "", context: Context = "default") -> Q:
    """The rule as a filter on posts; ``prefix`` reaches the post from another model
    (``"post__"`` for likes, retweets or post hashtags). ``viewer`` may be anonymous or None."""
    q = Q(**{f"{prefix}author__is_active": True})
    # Blocks and mutes (subqueries on the viewer's rows: no extra query, never stale).
    return q & relationship_exclude_q(viewer, field=f"{prefix}author_id", mutes=context in MUTED_CONTEXTS)


def post_visible(
    viewer,
    *,
    post: Mapping,
    author: Mapping | None,
    context: Context = "default",
    relationships: RelationshipSets | None = None,
) -> bool:
    """The rule for a post already loaded as plain data: ``post`` is its cached representation,
    ``author`` its author's short form, loaded for active accounts only (None when the account is
    deactivated or gone). ``relationships`` are the viewer's sets when the caller has them already
    (one lookup for a page of posts)."""
    if author is None:
        return False
    # Blocks and mutes.
    if relationships is None:
        relationships = relationship_sets(viewer)
    return author["id"] not in relationships.hidden(mutes=context in MUTED_CONTEXTS)


def post_list_visible(viewer, *, context: Context = "default") -> QuerySet[Post]:
    """Every post the viewer may see, unordered and without relations."""
    return Post.objects.filter(post_visible_q(viewer, context=context))


def post_get_visible(*, viewer, post_id: int) -> Post:
    """The post alone (no relations), 404 when it does not exist or the viewer may not see it: for
    the actions that name a post (like, retweet, reply, delete...)."""
    return get_object_or_404(post_list_visible(viewer), pk=post_id)
