"""Which posts a viewer may see: the one rule every read of posts goes through (lists, filters,
detail, the actions naming a post, replies, hashtags, search, trending, the feed's items, the
microblog API).

Today a post is visible when its author's account is active. The rule takes the viewer so that it
can grow (blocks, mutes, protected accounts, a post's own visibility) in this module alone. It has two
forms that must agree: :func:`post_visible_q`, a filter for queries, and :func:`post_visible`, the same
test for a post already loaded as plain data (the feed's cached representations), which costs no
query.
"""

from collections.abc import Mapping

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Post


def post_visible_q(viewer, *, prefix: str = "") -> Q:
    """The rule as a filter on posts; ``prefix`` reaches the post from another model
    (``"post__"`` for likes, retweets or post hashtags). ``viewer`` may be anonymous or None."""
    return Q(**{f"{prefix}author__is_active": True})


def post_visible(viewer, *, post: Mapping, author: Mapping | None) -> bool:
    """The rule for a post already loaded as plain data: ``post`` is its cached representation,
    ``author`` its author's short form, loaded for active accounts only (None when the account is
    deactivated or gone)."""
    return author is not None


def post_list_visible(viewer) -> QuerySet[Post]:
    """Every post the viewer may see, unordered and without relations."""
    return Post.objects.filter(post_visible_q(viewer))


def post_get_visible(*, viewer, post_id: int) -> Post:
    """The post alone (no relations), 404 when it does not exist or the viewer may not see it: for
    the actions that name a post (like, retweet, reply, delete...)."""
    return get_object_or_404(post_list_visible(viewer), pk=post_id)
