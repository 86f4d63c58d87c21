"""Which posts a viewer may see: the one rule every read of posts goes through (lists, filters,
detail, the actions naming a post, replies, hashtags, search, trending, the feed's items, the
microblog API, notifications).

A post is visible when its author's account is active, neither the author nor the viewer blocks
the other, and its audience takes the viewer in: a ``public`` or ``unlisted`` post by an account that
is not protected is for anyone; a ``followers`` post, and every post of a protected account, is for
its author and the author's followers only. In the viewer's feed, replies and search results
(``context``) a post is also hidden while the viewer mutes its author. Where posts are *listed* for
everyone to browse (search, hashtag lists, trending, the all-posts list without an author)
``unlisted`` posts are left out (``listing=True``); a link, the feed and an author's own list show
them.

The rule has two forms that must agree: :func:`post_visible_q`, a filter for queries (blocks, mutes
and follows as subqueries: no query of its own), and :func:`post_visible`, the same test for a post
already loaded as plain data (the feed's cached representations), which costs no query beyond the
viewer's cached relationship sets, and one cached set of the viewer's followees when a post on the
page is restricted.
"""

from collections.abc import Collection, Iterable, Mapping
from typing import Literal

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404

from users.models import Follow
from users.selectors import RelationshipSets, relationship_exclude_q, relationship_sets

from .feed.db import source_user_ids
from .models import Post

Visibility = Post.Visibility
# Visibilities open to anyone (when the author is not protected).
OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)

Context = Literal["default", "feed", "replies", "search"]

# Where a mute hides the muted account's posts; everywhere else (their profile, their posts by id,
# hashtag lists...) they stay readable.
MUTED_CONTEXTS = frozenset({"feed", "replies", "search"})


def _authenticated(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


# --- Post visibility and protected accounts -----------------------------------------------------


def _audience_q(viewer, prefix: str) -> Q:
    """Posts whose audience takes the viewer in: open ones, and the restricted ones of the viewer
    and of the accounts they follow (a subquery: no query of its own)."""
    open_to_all = Q(**{f"{prefix}visibility__in": OPEN, f"{prefix}author__profile__is_protected": False})
    if not _authenticated(viewer):
        return open_to_all
    followees = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
    return open_to_all | Q(**{f"{prefix}author_id": viewer.pk}) | Q(**{f"{prefix}author_id__in": followees})


def post_is_open(post: Mapping, author: Mapping) -> bool:
    """Whether a post given as plain data is open to anyone (no audience to check)."""
    return post.get("visibility", Visibility.PUBLIC) in OPEN and not author.get("is_protected")


def _audience_allows(viewer, *, post: Mapping, author: Mapping, sources: Collection[int] | None) -> bool:
    """:func:`_audience_q` for plain data: ``post`` a cached representation (``visibility``),
    ``author`` carrying ``is_protected``; ``sources`` the viewer and whom they follow, when the caller
    has them already."""
    if post_is_open(post, author):
        return True
    if not _authenticated(viewer):
        return False
    if sources is None:
        # Cached until the viewer's follows change.
        sources = source_user_ids(viewer.pk)
    return post["author"] in sources


def post_is_restricted(post: Post, *, author_protected: bool) -> bool:
    """Whether the post is for its author's followers only (so it can't be retweeted)."""
    return post.visibility == Visibility.FOLLOWERS or author_protected


def post_visibility_for(*, author_protected: bool, requested: str | None) -> str:
    """The visibility a new post is stored with: a protected account's posts are all ``followers``."""
    if author_protected:
        return Visibility.FOLLOWERS
    return requested or Visibility.PUBLIC


# What :func:`post_viewer_ids` needs of a post, as ``Post.objects.values(*POST_AUDIENCE_FIELDS)``.
POST_AUDIENCE_FIELDS = ("author_id", "visibility", "author__is_active", "author__profile__is_protected")


def post_viewer_ids(*, post: Mapping, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who may see the post (whom its notifications may reach): ``post`` holds
    :data:`POST_AUDIENCE_FIELDS`. No query for a post open to anyone, one otherwise."""
    user_ids = set(user_ids)
    if not post["author__is_active"] or not user_ids:
        return set()
    if post["visibility"] in OPEN and not post["author__profile__is_protected"]:
        return user_ids
    author_id = post["author_id"]
    followers = set(
        Follow.objects.filter(followee_id=author_id, follower_id__in=user_ids).values_list("follower_id", flat=True)
    )
    return (followers | {author_id}) & user_ids


# --- The rule ------------------------------------------------------------------------------------


def post_visible_q(viewer, *, prefix: str = "", listing: bool = False, context: Context = "default") -> Q:
    """The rule as a filter on posts; ``prefix`` reaches the post from another model
    (``"post__"`` for likes, retweets or post hashtags). ``viewer`` may be anonymous or None.
    ``listing``: the posts are browsed, not reached by link, feed or author (no ``unlisted`` ones);
    ``context``: where they are read (mutes hide posts in the feed, replies and search)."""
    q = Q(**{f"{prefix}author__is_active": True}) & _audience_q(viewer, prefix)
    if listing:
        q &= ~Q(**{f"{prefix}visibility": Visibility.UNLISTED})
    # Blocks and mutes (subqueries on the viewer's rows: no extra query, never stale).
    return q & relationship_exclude_q(viewer, field=f"{prefix}author_id", mutes=context in MUTED_CONTEXTS)


def post_visible(
    viewer,
    *,
    post: Mapping,
    author: Mapping | None,
    listing: bool = False,
    context: Context = "default",
    relationships: RelationshipSets | None = None,
    sources: Collection[int] | None = None,
) -> bool:
    """The rule for a post already loaded as plain data: ``post`` is its cached representation,
    ``author`` its author's short form with ``is_protected``, loaded for active accounts only (None
    when the account is deactivated or gone). ``relationships`` (the viewer's sets) and ``sources``
    (the viewer and whom they follow, :func:`posts.feed.source_user_ids`) when the caller has them
    already: one lookup for a page of posts."""
    if author is None:
        return False
    if listing and post.get("visibility") == Visibility.UNLISTED:
        return False
    if relationships is None:
        relationships = relationship_sets(viewer)
    if author["id"] in relationships.hidden(mutes=context in MUTED_CONTEXTS):
        return False
    return _audience_allows(viewer, post=post, author=author, sources=sources)


def post_list_visible(viewer, *, listing: bool = False, context: Context = "default") -> QuerySet[Post]:
    """Every post the viewer may see, unordered and without relations."""
    return Post.objects.filter(post_visible_q(viewer, listing=listing, context=context))


def post_get_visible(*, viewer, post_id: int) -> Post:
    """The post alone (no relations; ``author_is_protected`` annotated from the join the rule makes
    anyway), 404 when it does not exist or the viewer may not see it: for the actions that name a
    post (like, retweet, reply, delete...)."""
    posts = post_list_visible(viewer).annotate(author_is_protected=F("author__profile__is_protected"))
    return get_object_or_404(posts, pk=post_id)
