"""Feed items from cached representations: a page of entries becomes the exact fields of
``FeedItemSerializer`` with one cache multi-get for the posts and the viewer's flags, one for the
users, and at most two database queries for whatever was missing (none when everything is cached).

Cached, each under its own key in the default cache: a post's representation without the viewer's
flags (``feed:post:<id>``), a user's short form (``feed:user:<id>``) and a viewer's like/retweet
flags on a post (``feed:flags:<viewer>:<post>``). URLs are cached relative and made absolute per
request. The services delete the keys after commit whenever what they hold changes (likes,
retweets, replies, edits, deletes, profile changes); the keys also expire after an hour, which
bounds the effect of a read that raced with such a write.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db.models import F, IntegerField, TextField, Value
from rest_framework import serializers

from media.models import Media
from users.models import Profile, User

from .models import Like, Mention, Post, PostHashtag, Retweet

CACHE_SECONDS = 3600
LIKED, RETWEETED = 1, 2
_datetime = serializers.DateTimeField()


def post_key(post_id: int) -> str:
    return f"feed:post:{post_id}"


def user_key(user_id: int) -> str:
    return f"feed:user:{user_id}"


def flags_key(viewer_id: int, post_id: int) -> str:
    return f"feed:flags:{viewer_id}:{post_id}"


def forget_posts(post_ids: Iterable[int]) -> None:
    keys = [post_key(post_id) for post_id in set(post_ids) if post_id]
    if keys:
        cache.delete_many(keys)


def forget_flags(*, user_id: int, post_id: int) -> None:
    cache.delete(flags_key(user_id, post_id))


def forget_users(user_ids: Iterable[int]) -> None:
    cache.delete_many([user_key(user_id) for user_id in set(user_ids)])


def _file_url(field, name: str | None) -> str | None:
    return field.storage.url(name) if name else None


_AVATAR = Profile._meta.get_field("avatar")
_MEDIA_FILE = Media._meta.get_field("file")
_MEDIA_THUMB = Media._meta.get_field("thumbnail")


def _user(user_id: int, username: str, display_name: str | None, avatar: str | None) -> dict:
    return {
        "id": user_id,
        "username": username,
        "display_name": display_name or "",
        "avatar": _file_url(_AVATAR, avatar),
    }


def _load_posts(post_ids: list[int], users: dict[int, dict]) -> dict[int, dict]:
    """Query 1: the posts and their authors (the relations are filled by :func:`_load_related`)."""
    posts = {}
    rows = (
        Post.objects.filter(pk__in=post_ids, author__is_active=True)
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
            "author__username",
            "author__profile__display_name",
            "author__profile__avatar",
        )
    )
    for pid, author, content, created, edited, reply_to, likes, retweets, replies, username, name, avatar in rows:
        posts[pid] = {
            "id": pid,
            "author": author,
            "content": content,
            "created_at": _datetime.to_representation(created),
            "edited_at": _datetime.to_representation(edited) if edited else None,
            "reply_to": reply_to,
            "likes_count": likes,
            "retweets_count": retweets,
            "replies_count": replies,
            "hashtags": [],
            "mentions": [],
            "media": [],
        }
        users[author] = _user(author, username, name, avatar)
    return posts


_COLUMNS = ("k", "p", "i1", "i2", "i3", "i4", "s1", "s2", "s3")


def _rows(qs, kind: int, p: str, ints: tuple = (), strs: tuple = ()):
    """One part of the UNION: (kind, post or user id, 4 ints, 3 strings)."""
    int_cols = [F(name) for name in ints] + [Value(0, IntegerField())] * (4 - len(ints))
    str_cols = [F(name) for name in strs] + [Value("", TextField())] * (3 - len(strs))
    annotations = dict(zip(_COLUMNS, [Value(kind, IntegerField()), F(p), *int_cols, *str_cols], strict=True))
    return qs.order_by().annotate(**annotations).values_list(*_COLUMNS)


def _load_related(viewer_id: int, new_posts: list[int], user_ids: list[int], flag_posts: list[int]):
    """Query 2, one UNION: hashtags, mentions and media of new posts, missing users, and the
    viewer's likes and retweets among ``flag_posts``."""
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
                strs=("file", "thumbnail"),
            ),
        ]
    if user_ids:
        parts.append(
            _rows(
                User.objects.filter(pk__in=user_ids, is_active=True),
                4,
                "id",
                strs=("username", "profile__display_name", "profile__avatar"),
            )
        )
    if flag_posts:
        parts += [
            _rows(Like.objects.filter(user_id=viewer_id, post_id__in=flag_posts), 5, "post_id"),
            _rows(Retweet.objects.filter(user_id=viewer_id, post_id__in=flag_posts), 6, "post_id"),
        ]
    if not parts:
        return []
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return list(query)


def feed_items(*, viewer_id: int, entries: list, absolute: Callable[[str], str]) -> list[dict]:
    """The page's items, in the entries' order; entries whose post is gone are left out."""
    post_ids = list(dict.fromkeys(entry.post_id for entry in entries))
    if not post_ids:
        return []
    found = cache.get_many([post_key(pid) for pid in post_ids] + [flags_key(viewer_id, pid) for pid in post_ids])
    posts = {pid: found[post_key(pid)] for pid in post_ids if post_key(pid) in found}
    flags = {pid: found[flags_key(viewer_id, pid)] for pid in post_ids if flags_key(viewer_id, pid) in found}
    users: dict[int, dict] = {}
    new_posts = [pid for pid in post_ids if pid not in posts]
    if new_posts:
        loaded = _load_posts(new_posts, users)
        posts.update(loaded)
        new_posts = list(loaded)
    wanted_users = {post["author"] for post in posts.values()} | {
        e.retweeted_by_id for e in entries if e.retweeted_by_id
    }
    lookup = [user_id for user_id in wanted_users if user_id not in users]
    fresh_users = dict(users)
    if lookup:
        cached_users = cache.get_many([user_key(user_id) for user_id in lookup])
        users.update(
            (user_id, cached_users[user_key(user_id)]) for user_id in lookup if user_key(user_id) in cached_users
        )
    missing_users = [user_id for user_id in lookup if user_id not in users]
    missing_flags = [pid for pid in post_ids if pid in posts and pid not in flags]
    fresh_flags = dict.fromkeys(missing_flags, 0)
    media = defaultdict(list)
    for k, p, i1, i2, i3, i4, s1, s2, s3 in _load_related(viewer_id, new_posts, missing_users, missing_flags):
        if k == 1:
            posts[p]["hashtags"].append(s1)
        elif k == 2:
            posts[p]["mentions"].append({"id": i1, "username": s1})
        elif k == 3:
            media[p].append(
                (
                    i4,
                    i1,
                    {
                        "id": i1,
                        "url": _file_url(_MEDIA_FILE, s1),
                        "thumbnail_url": _file_url(_MEDIA_THUMB, s2),
                        "width": i2,
                        "height": i3,
                    },
                )
            )
        elif k == 4:
            users[p] = fresh_users[p] = _user(p, s1, s2, s3)
        else:
            fresh_flags[p] |= LIKED if k == 5 else RETWEETED
    for pid in new_posts:
        post = posts[pid]
        post["hashtags"].sort()
        post["mentions"].sort(key=lambda mention: mention["username"].lower())
        post["media"] = [item for *_, item in sorted(media[pid], key=lambda row: row[:2])]
    flags.update(fresh_flags)
    to_cache = {post_key(pid): posts[pid] for pid in new_posts}
    to_cache.update((user_key(user_id), user) for user_id, user in fresh_users.items())
    to_cache.update((flags_key(viewer_id, pid), value) for pid, value in fresh_flags.items())
    if to_cache:
        cache.set_many(to_cache, CACHE_SECONDS)

    def user_out(user_id: int | None) -> dict | None:
        user = users.get(user_id) if user_id else None
        if user is None:
            return None
        return {**user, "avatar": absolute(user["avatar"]) if user["avatar"] else None}

    items = []
    for entry in entries:
        post = posts.get(entry.post_id)
        author = post and user_out(post["author"])
        if post is None or author is None:
            continue  # deleted since the page was computed, or by an account deactivated since
        flag = flags.get(entry.post_id, 0)
        items.append(
            {
                **post,
                "author": author,
                "media": [
                    {
                        **item,
                        "url": absolute(item["url"]) if item["url"] else None,
                        "thumbnail_url": absolute(item["thumbnail_url"]) if item["thumbnail_url"] else None,
                    }
                    for item in post["media"]
                ],
                "is_liked": bool(flag & LIKED),
                "is_retweeted": bool(flag & RETWEETED),
                # A retweet by an account deactivated since shows the post without naming it.
                "retweeted_by": user_out(entry.retweeted_by_id),
                "feed_id": entry.feed_id,
            }
        )
    return items
