"""Feed items from cached representations: a page of entries becomes ``FeedItemSerializer``'s
representation (:func:`posts.serializers.feed_item_render`) with one cache multi-get for the posts
and the viewer's flags, one for the users, and at most two database queries for whatever was
missing (none when everything is cached). Posts the viewer may not see are left out
(:mod:`posts.visibility`).

Cached, each under its own key in the default cache: a post's :func:`posts.serializers.post_data`
(``feed:post:v3:<id>``), a user's short form with whether the account is protected, for the
visibility rule (``feed:user:v2:<id>``) and a viewer's like/retweet/bookmark flags on a
post (``feed:flags:v2:<viewer>:<post>``). URLs are cached relative and made absolute per request. The
services delete the keys after commit whenever what they hold changes (likes, retweets, replies,
edits, pins, alt texts, deletes, profile changes); the keys also expire after an hour, which bounds the effect of a
read that raced with such a write.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import F, FloatField, IntegerField, TextField, Value
from django.db.models.functions import Cast

from media.models import Media
from users.selectors import RelationshipSets, relationship_sets, user_list_active
from users.serializers import user_short_data

from . import visibility
from .feed import source_user_ids
from .models import Bookmark, Like, Mention, PostHashtag, Retweet
from .serializers import feed_item_render, post_data

CACHE_SECONDS = 3600
LIKED, RETWEETED, BOOKMARKED = 1, 2, 4


# The versions name the shape of what is cached: a new shape is never read from an older entry.
def post_key(post_id: int) -> str:
    return f"feed:post:v3:{post_id}"


def user_key(user_id: int) -> str:
    return f"feed:user:v2:{user_id}"


def _author_data(*, id: int, username: str, display_name: str | None, avatar: str | None, is_protected) -> dict:
    """What is cached of a user: the short form, and ``is_protected`` for the visibility rule."""
    data = user_short_data(id=id, username=username, display_name=display_name, avatar=avatar)
    data["is_protected"] = bool(is_protected)
    return data


def _short(user: dict | None) -> dict | None:
    """The short form alone, as the representation shows it."""
    if user is None:
        return None
    return {key: value for key, value in user.items() if key != "is_protected"}


def flags_key(viewer_id: int, post_id: int) -> str:
    return f"feed:flags:v2:{viewer_id}:{post_id}"


def forget_posts(post_ids: Iterable[int]) -> None:
    keys = [post_key(post_id) for post_id in set(post_ids) if post_id]
    if keys:
        cache.delete_many(keys)


def forget_flags(*, user_id: int, post_id: int) -> None:
    cache.delete(flags_key(user_id, post_id))


def forget_users(user_ids: Iterable[int]) -> None:
    cache.delete_many([user_key(user_id) for user_id in set(user_ids)])


def _load_posts(viewer, post_ids: list[int], users: dict[int, dict]) -> dict[int, dict]:
    """Query 1: the posts the viewer may see and their authors, as keyword arguments of
    :func:`post_data` still missing the relations (filled by :func:`_load_related`)."""
    posts = {}
    rows = (
        visibility.post_list_visible(viewer, context="feed")
        .filter(pk__in=post_ids)
        .order_by()
        .values_list(
            "id",
            "author_id",
            "content",
            "created_at",
            "edited_at",
            "reply_to_id",
            "likes_count",
            "retweets_count",
            "replies_count",
            "visibility",
            "spoiler_text",
            "sensitive",
            "pinned_at",
            "author__username",
            "author__profile__display_name",
            "author__profile__avatar",
            "author__profile__is_protected",
        )
    )
    for row in rows:
        pid, author, content, created, edited, reply_to, likes, retweets, replies, visibility_, *rest = row
        spoiler_text, sensitive, pinned_at, *user = rest
        username, name, avatar, protected = user
        posts[pid] = {
            "id": pid,
            "author_id": author,
            "content": content,
            "created_at": created,
            "edited_at": edited,
            "reply_to_id": reply_to,
            "likes_count": likes,
            "retweets_count": retweets,
            "replies_count": replies,
            "visibility": visibility_,
            "spoiler_text": spoiler_text,
            "sensitive": sensitive,
            "pinned_at": pinned_at,
            "hashtags": [],
            "mentions": [],
            "media": [],
        }
        users[author] = _author_data(
            id=author, username=username, display_name=name, avatar=avatar, is_protected=protected
        )
    return posts


_COLUMNS = ("k", "p", "i1", "i2", "i3", "i4", "s1", "s2", "s3", "f1", "f2")


def _rows(qs, kind: int, p: str, ints: tuple = (), strs: tuple = (), floats: tuple = ()):
    """One part of the UNION: (kind, post or user id, 4 ints, 3 strings, 2 floats)."""
    int_cols = [F(name) if isinstance(name, str) else name for name in ints]
    int_cols += [Value(0, IntegerField())] * (4 - len(ints))
    str_cols = [F(name) for name in strs] + [Value("", TextField())] * (3 - len(strs))
    # A typed NULL: PostgreSQL reads a bare one in a UNION's first part as text.
    float_cols = [F(name) for name in floats] + [Cast(Value(None), FloatField())] * (2 - len(floats))
    columns = [Value(kind, IntegerField()), F(p), *int_cols, *str_cols, *float_cols]
    annotations = dict(zip(_COLUMNS, columns, strict=True))
    return qs.order_by().annotate(**annotations).values_list(*_COLUMNS)


def _load_related(viewer_id: int, new_posts: list[int], user_ids: list[int], flag_posts: list[int]):
    """Query 2, one UNION: hashtags, mentions and media of new posts, missing (active) users, and
    the viewer's likes, retweets and bookmarks among ``flag_posts``."""
    parts = []
    if new_posts:
        parts += [
            _rows(PostHashtag.objects.filter(post_id__in=new_posts), 1, "post_id", strs=("hashtag__name",)),
            _rows(
                Mention.objects.filter(post_id__in=new_posts), 2, "post_id", ints=("user_id",), strs=("user__username",)
            ),
            _rows(
                Media.objects.filter(post_id__in=new_posts),
                3,
                "post_id",
                ints=("id", "width", "height", "position"),
                strs=("file", "thumbnail", "description"),
                floats=("focus_x", "focus_y"),
            ),
        ]
    if user_ids:
        parts.append(
            _rows(
                user_list_active().filter(pk__in=user_ids),
                4,
                "id",
                ints=(Cast("profile__is_protected", IntegerField()),),
                strs=("username", "profile__display_name", "profile__avatar"),
            )
        )
    if flag_posts:
        parts += [
            _rows(Like.objects.filter(user_id=viewer_id, post_id__in=flag_posts), 5, "post_id"),
            _rows(Retweet.objects.filter(user_id=viewer_id, post_id__in=flag_posts), 6, "post_id"),
            _rows(Bookmark.objects.filter(user_id=viewer_id, post_id__in=flag_posts), 7, "post_id"),
        ]
    if not parts:
        return []
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return list(query)


def feed_items(
    *,
    viewer,
    entries: list,
    request=None,
    relationships: RelationshipSets | None = None,
    limit: int | None = None,
) -> list[dict]:
    """The page's items, in the entries' order, URLs absolute for ``request``; entries whose post is
    gone or hidden from the viewer are left out, and so are retweets by accounts the viewer blocks,
    is blocked by or mutes. ``limit``: only the first ``limit`` entries left after those known to be
    hidden are loaded (an entry whose post then turns out hidden makes the list shorter)."""
    viewer_id = viewer.pk
    if relationships is None:
        relationships = relationship_sets(viewer)
    hidden = relationships.hidden(mutes=True)
    if hidden:
        # Known before any post is loaded: the retweeter, and the author where the entry names it.
        entries = [e for e in entries if e.retweeted_by_id not in hidden and e.author_id not in hidden]
    if limit is not None:
        entries = entries[:limit]
    post_ids = list(dict.fromkeys(entry.post_id for entry in entries))
    if not post_ids:
        return []
    found = cache.get_many([post_key(pid) for pid in post_ids] + [flags_key(viewer_id, pid) for pid in post_ids])
    posts = {pid: found[post_key(pid)] for pid in post_ids if post_key(pid) in found}
    flags = {pid: found[flags_key(viewer_id, pid)] for pid in post_ids if flags_key(viewer_id, pid) in found}
    users: dict[int, dict] = {}
    missing_posts = [pid for pid in post_ids if pid not in posts]
    loaded = _load_posts(viewer, missing_posts, users) if missing_posts else {}
    wanted_users = {post["author"] for post in posts.values()} | {row["author_id"] for row in loaded.values()}
    wanted_users |= {e.retweeted_by_id for e in entries if e.retweeted_by_id}
    lookup = [user_id for user_id in wanted_users if user_id not in users]
    fresh_users = dict(users)
    if lookup:
        cached_users = cache.get_many([user_key(user_id) for user_id in lookup])
        users.update(
            (user_id, cached_users[user_key(user_id)]) for user_id in lookup if user_key(user_id) in cached_users
        )
    missing_users = [user_id for user_id in lookup if user_id not in users]
    missing_flags = [pid for pid in post_ids if (pid in posts or pid in loaded) and pid not in flags]
    fresh_flags = dict.fromkeys(missing_flags, 0)
    media = defaultdict(list)
    for k, p, i1, i2, i3, i4, s1, s2, s3, f1, f2 in _load_related(
        viewer_id, list(loaded), missing_users, missing_flags
    ):
        if k == 1:
            loaded[p]["hashtags"].append(s1)
        elif k == 2:
            loaded[p]["mentions"].append((i1, s1))
        elif k == 3:
            media[p].append((i4, i1, s1, s2, i2, i3, s3, f1, f2))
        elif k == 4:
            users[p] = fresh_users[p] = _author_data(id=p, username=s1, display_name=s2, avatar=s3, is_protected=i1)
        else:
            fresh_flags[p] |= {5: LIKED, 6: RETWEETED}.get(k, BOOKMARKED)
    for pid, row in loaded.items():
        row["hashtags"].sort()
        row["mentions"].sort(key=lambda mention: mention[1].lower())
        row["media"] = [(media_id, *rest) for _, media_id, *rest in sorted(media[pid])]
        posts[pid] = post_data(**row)
    flags.update(fresh_flags)
    to_cache = {post_key(pid): posts[pid] for pid in loaded}
    to_cache.update((user_key(user_id), user) for user_id, user in fresh_users.items())
    to_cache.update((flags_key(viewer_id, pid), value) for pid, value in fresh_flags.items())
    if to_cache:
        cache.set_many(to_cache, CACHE_SECONDS)

    # The viewer's audience (whom they follow), looked up once and only if a post is not open to all.
    sources = None
    if any(not visibility.post_is_open(post, users.get(post["author"]) or {}) for post in posts.values()):
        sources = frozenset(source_user_ids(viewer_id))
    items = []
    for entry in entries:
        post = posts.get(entry.post_id)
        if post is None:
            continue  # deleted since the page was computed, or hidden from the viewer
        author = users.get(post["author"])
        if not visibility.post_visible(
            viewer, post=post, author=author, context="feed", relationships=relationships, sources=sources
        ):
            continue
        flag = flags.get(entry.post_id, 0)
        items.append(
            feed_item_render(
                post,
                author=_short(author),
                is_liked=flag & LIKED,
                is_retweeted=flag & RETWEETED,
                is_bookmarked=flag & BOOKMARKED,
                # A retweet by an account deactivated since shows the post without naming it.
                retweeted_by=_short(users.get(entry.retweeted_by_id)) if entry.retweeted_by_id else None,
                feed_id=entry.feed_id,
                request=request,
            )
        )
    return items
