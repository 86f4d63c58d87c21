"""Writes for posts (and their edit history), likes, retweets, bookmarks and pins. Counters change
with F() inside the writing transaction; after commit, feed caches and cached post representations
are invalidated and new or removed entries go to the Redis home timelines (recorded by
:mod:`posts.tasks`: the author's at once, followers' by fan-out tasks)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower
from django.http import Http404
from django.utils import timezone

from media.models import Media
from media.services import delete_files, media_attach, media_file_names
from mini_twitter.api import idempotency
from mini_twitter.api.exceptions import DomainError
from mini_twitter.api.text import clean_text
from mini_twitter.observability import metrics
from outbox.services import batched as outbox_batched
from outbox.services import enqueue_on_commit
from users.authentication import profile_read_with
from users.models import Profile, User
from users.selectors import relationship_exclude_q

from . import events, feed, hydration, selectors, visibility
from .models import (
    MAX_PINNED_POSTS,
    MAX_POST_LENGTH,
    MAX_SPOILER_TEXT_LENGTH,
    Bookmark,
    Hashtag,
    Like,
    Mention,
    Post,
    PostEdit,
    PostHashtag,
    Retweet,
)
from .parsing import extract_hashtags, extract_mentions
from .tasks import (
    notify_like_task,
    notify_post_task,
    notify_retweet_task,
    timeline_post_created,
    timeline_post_deleted,
    timeline_retweet_created,
    timeline_retweet_deleted,
)
from .visibility import post_is_restricted, post_visibility_for


def clean_content(content: str) -> str:
    return clean_text(content, field="content", noun="post", max_length=MAX_POST_LENGTH)


def clean_spoiler_text(spoiler_text: str | None) -> str:
    return clean_text(
        spoiler_text,
        field="spoiler_text",
        noun="content warning",
        max_length=MAX_SPOILER_TEXT_LENGTH,
        allow_empty=True,
    )


def _set_hashtags(post: Post, names: list[str], *, new: bool = False) -> tuple[dict[int, int], list[tuple[int, str]]]:
    """Make the post's hashtags ``names``; ``new`` (a post just created) skips reading the none it
    has. Returns the change of each hashtag's count, for :func:`_count_hashtags`, and the hashtags
    added as (id, name), in the order of ``names``."""
    current = {} if new else dict(PostHashtag.objects.filter(post=post).values_list("hashtag__name", "hashtag_id"))
    removed = [tag_id for name, tag_id in current.items() if name not in names]
    added = [name for name in names if name not in current]
    deltas = dict.fromkeys(removed, -1)
    tags = []
    if removed:
        PostHashtag.objects.filter(post=post, hashtag_id__in=removed).delete()
    if added:
        Hashtag.objects.bulk_create([Hashtag(name=name) for name in added], ignore_conflicts=True)
        tags = sorted(Hashtag.objects.filter(name__in=added), key=lambda tag: added.index(tag.name))
        PostHashtag.objects.bulk_create(
            [PostHashtag(post=post, hashtag=tag, created_at=post.created_at) for tag in tags]
        )
        deltas |= dict.fromkeys((tag.pk for tag in tags), 1)
    return deltas, [(tag.pk, tag.name) for tag in tags]


def _count_hashtags(deltas: dict[int, int]) -> None:
    """Apply hashtag count changes. A popular tag's row is hot and its lock is held until commit, so
    callers do this last in their transaction; several rows are locked in id order, so two posts
    sharing tags never deadlock."""
    ids = sorted(deltas)
    if len(ids) > 1:
        list(Hashtag.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    for delta in (1, -1):
        group = [pk for pk in ids if deltas[pk] == delta]
        if group:
            Hashtag.objects.filter(pk__in=group).update(posts_count=F("posts_count") + delta)


def _mentionable(author_id: int, usernames: list[str]):
    """The active users named (lower-case ``usernames``) that the author may mention, as (id,
    username): not someone blocking the author or blocked by them."""
    return (
        User.objects.annotate(lname=Lower("username"))
        .filter(relationship_exclude_q(author_id, field="id"), lname__in=usernames, is_active=True)
        .values_list("id", "username")
    )


def _set_mentions(post: Post, usernames: list[str], *, new: bool = False) -> list[tuple[int, str]]:
    """Replace the post's mentions; returns the newly mentioned users as (id, username). Someone
    blocking the author, or blocked by them, is not mentioned: their ``@name`` stays plain text."""
    users = (
        {username.lower(): (pk, username) for pk, username in _mentionable(post.author_id, usernames)}
        if usernames
        else {}
    )
    wanted = {pk for pk, _ in users.values()}
    current = set() if new else set(Mention.objects.filter(post=post).values_list("user_id", flat=True))
    if current - wanted:
        Mention.objects.filter(post=post, user_id__in=current - wanted).delete()
    new = [users[name] for name in usernames if name in users and users[name][0] not in current]
    Mention.objects.bulk_create([Mention(post=post, user_id=user_id) for user_id, _ in new])
    return new


def _link_and_count(post: Post, tag_names: list[str], usernames: list[str]) -> tuple[list, list]:
    """A new post's hashtags and mentions stored, and the counters it changes (its hashtags', its
    author's ``posts_count``) raised. Returns its hashtags as (id, name) and the users it mentions
    as (id, username), in order of appearance. On PostgreSQL one statement does it all
    (:func:`_link_and_count_in_one`); the counters come last, hashtags before the author, as
    post_delete takes them."""
    if connection.vendor == "postgresql" and (tag_names or usernames):
        tags, mentions = _link_and_count_in_one(post, tag_names, usernames)
        missing = [name for name in tag_names if name not in {name for _, name in tags}]
        if not missing:
            return tags, mentions
        # Created by a concurrent post between this statement's snapshot and its insert, so seen
        # by neither half: linked and counted as everywhere else (rare).
        deltas, late = _set_hashtags(post, missing, new=True)
        _count_hashtags(deltas)
        return sorted([*tags, *late], key=lambda tag: tag_names.index(tag[1])), mentions
    deltas, tags = _set_hashtags(post, tag_names, new=True)
    mentions = _set_mentions(post, usernames, new=True)
    _count_hashtags(deltas)
    Profile.objects.filter(pk=post.author_id).update(posts_count=F("posts_count") + 1)
    return tags, mentions


def _link_and_count_in_one(post: Post, tag_names: list[str], usernames: list[str]) -> tuple[list, list]:
    """:func:`_link_and_count` in one PostgreSQL statement. New hashtags are inserted counted once;
    existing ones are locked in id order, then counted; the author's profile is counted after them
    (its UPDATE waits for theirs through the subquery). Mentions leave out who blocks the author
    or is blocked by them (:func:`_mentionable`). A hashtag inserted by a concurrent
    post after this statement began is in neither half: the caller sees it missing."""
    parts = [
        """new_tags AS (
            INSERT INTO posts_hashtag (name, posts_count, created_at)
            SELECT name, 1, %s FROM unnest(%s::varchar[]) AS name
            ON CONFLICT (name) DO NOTHING
            RETURNING id, name)""",
        """old_tags AS (
            SELECT id, name FROM posts_hashtag WHERE name = ANY(%s::varchar[]) ORDER BY id FOR UPDATE)""",
        """counted AS (
            UPDATE posts_hashtag SET posts_count = posts_hashtag.posts_count + 1
            FROM old_tags WHERE posts_hashtag.id = old_tags.id
            RETURNING posts_hashtag.id, posts_hashtag.name)""",
        """linked AS (
            INSERT INTO posts_posthashtag (post_id, hashtag_id, created_at)
            SELECT %s, id, %s FROM (SELECT id FROM new_tags UNION ALL SELECT id FROM counted) AS tags
            RETURNING hashtag_id)""",
        """author AS (
            UPDATE users_profile SET posts_count = posts_count + 1
            WHERE user_id = %s AND (SELECT count(*) FROM counted) >= 0 AND (SELECT count(*) FROM linked) >= 0
            RETURNING user_id)""",
    ]
    params = [timezone.now(), tag_names, tag_names, post.pk, post.created_at, post.author_id]
    result = "SELECT 't', id, name FROM new_tags UNION ALL SELECT 't', id, name FROM counted"
    if usernames:
        users_sql, users_params = _mentionable(post.author_id, usernames).query.sql_with_params()
        parts += [
            f"mentioned AS ({users_sql})",
            """mention_rows AS (
                INSERT INTO posts_mention (post_id, user_id) SELECT %s, id FROM mentioned RETURNING user_id)""",
        ]
        params += [*users_params, post.pk]
        result += " UNION ALL SELECT 'm', id, username FROM mentioned"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {result}", params)
        rows = cursor.fetchall()
    tags = sorted(((pk, name) for kind, pk, name in rows if kind == "t"), key=lambda tag: tag_names.index(tag[1]))
    mentions = sorted(
        ((pk, name) for kind, pk, name in rows if kind == "m"), key=lambda user: usernames.index(user[1].lower())
    )
    return tags, mentions


def post_create(
    *,
    author: User,
    content: str,
    reply_to_id: int | None = None,
    media_ids=(),
    idempotency_key: str | None = None,
    visibility: str | None = None,
    spoiler_text: str = "",
    sensitive: bool = False,
) -> Post:
    """Create a post, ``public`` unless ``visibility`` says otherwise (a protected account's posts
    are all stored as ``followers``), behind the content warning ``spoiler_text`` if any, its
    media hidden until opened when ``sensitive``. With an ``idempotency_key``
    (:mod:`mini_twitter.api.idempotency`), a post the author made with the same key less than an
    hour ago is returned instead, and nothing changes. The key is stored in the post's row, in the
    transaction that creates it, so a retry finds the post even when the first answer was lost
    after commit; a concurrent duplicate waits on the unique key until the first commits, then
    returns its post.

    The post returned carries what ``PostSerializer`` shows (its author's profile, hashtags,
    mentions and media, the author's flags: none yet), so the response needs no read."""
    content = clean_content(content)
    spoiler_text = clean_spoiler_text(spoiler_text)
    if visibility is not None and visibility not in Post.Visibility.values:
        raise ValidationError({"visibility": [f"Choose one of: {', '.join(Post.Visibility.values)}."]})
    expired_id = None
    if idempotency_key is not None:
        earlier = _post_with_key(author=author, key=idempotency_key)
        if earlier is not None:
            if idempotency.is_live(earlier.created_at):
                return selectors.post_get(post_id=earlier.pk, viewer=author)
            expired_id = earlier.pk
    visibility = post_visibility_for(author_protected=_is_protected(author), requested=visibility)
    try:
        return _post_insert(
            author=author,
            content=content,
            reply_to_id=reply_to_id,
            media_ids=media_ids,
            idempotency_key=idempotency_key,
            expired_id=expired_id,
            audience=visibility,
            spoiler_text=spoiler_text,
            sensitive=bool(sensitive),
        )
    except IntegrityError:
        if idempotency_key is None:
            raise
        earlier = _post_with_key(author=author, key=idempotency_key)
        if earlier is None or not idempotency.is_live(earlier.created_at):
            raise
        return selectors.post_get(post_id=earlier.pk, viewer=author)


def _is_protected(user: User) -> bool:
    """Whether the user's account is protected: from the profile the request's authentication read
    with the user, else read now."""
    profile = profile_read_with(user)
    if profile is not None:
        return profile.is_protected
    return Profile.objects.filter(pk=user.pk).values_list("is_protected", flat=True).first() or False


def _post_with_key(*, author: User, key: str) -> Post | None:
    return Post.objects.filter(author=author, idempotency_key=key).first()


def _post_insert(
    *,
    author: User,
    content: str,
    reply_to_id: int | None,
    media_ids,
    idempotency_key: str | None,
    expired_id: int | None,
    audience: str,
    spoiler_text: str,
    sensitive: bool,
) -> Post:
    # The outbox rows of what follows the commit (timeline, notifications) go in one INSERT.
    with transaction.atomic(), outbox_batched():
        if expired_id is not None:
            # The key's hour is over: its old post lets go of it.
            Post.objects.filter(pk=expired_id, idempotency_key=idempotency_key).update(idempotency_key=None)
        if reply_to_id is not None:
            # The post replied to is counted (and so locked) first, as post_delete locks it first:
            # a post deleted meanwhile updates no row and is refused here, not at commit by its
            # foreign key (a 500).
            replied = (
                visibility.post_list_visible(author).filter(pk=reply_to_id).update(replies_count=F("replies_count") + 1)
            )
            if not replied:
                raise ValidationError({"reply_to": ["The post you reply to does not exist."]})
        post = Post.objects.create(
            author=author,
            content=content,
            reply_to_id=reply_to_id,
            idempotency_key=idempotency_key,
            visibility=audience,
            spoiler_text=spoiler_text,
            sensitive=sensitive,
        )
        media = media_attach(post=post, owner=author, media_ids=media_ids)
        tags, mentions = _link_and_count(post, extract_hashtags(content), extract_mentions(content))
        mentioned = [user_id for user_id, _ in mentions]
        # Rendered from what was written: hashtags by name, mentions by username (any case), as the
        # selectors order them.
        post._prefetched_objects_cache = {
            "hashtags": sorted((Hashtag(pk=pk, name=name) for pk, name in tags), key=lambda tag: tag.name),
            "mentions": sorted(
                (User(pk=pk, username=username) for pk, username in mentions), key=lambda u: u.username.lower()
            ),
            "media": media,
        }
        transaction.on_commit(lambda: feed.invalidate_author(author.pk))
        timeline_post_created(post)
        if reply_to_id is not None:
            transaction.on_commit(lambda: hydration.forget_posts([reply_to_id]))
        transaction.on_commit(metrics.POSTS_CREATED.inc)
        events.announce_on_commit(events.post_published, post_id=post.pk, author_id=post.author_id)
        if reply_to_id is not None or mentioned:
            enqueue_on_commit(notify_post_task, post_id=post.pk, mentioned_ids=mentioned)
    return post


def ensure_author(*, post: Post, user: User) -> None:
    """Only a post's author may change or delete it (403 for anyone else). The JWT API checks this
    first with its ``IsOwner`` permission; the services hold the rule for every caller."""
    if post.author_id != user.pk:
        raise PermissionDenied("You can only change your own posts.")


def post_update(
    *,
    post: Post,
    user: User,
    content: str | None = None,
    spoiler_text: str | None = None,
    sensitive: bool | None = None,
) -> Post:
    """Edit a post: what is given of its content, content warning and sensitivity (the rest, and
    its media, stay). The version it replaces is kept (``PostEdit``, for its history) in the same
    transaction; ``edited_at`` is set."""
    ensure_author(post=post, user=user)
    if content is not None:
        content = clean_content(content)
    if spoiler_text is not None:
        spoiler_text = clean_spoiler_text(spoiler_text)
    with transaction.atomic():
        # The row locked, so that the version kept is the one this edit replaces, even when two
        # edits race. A post deleted meanwhile is a 404 (a model save would fail with a 500).
        current = Post.objects.select_for_update().filter(pk=post.pk).first()
        if current is None:
            raise Http404("No such post.")
        before = selectors.post_version_of(current)
        PostEdit.objects.create(post_id=post.pk, **before)
        post.content = current.content if content is None else content
        post.spoiler_text = current.spoiler_text if spoiler_text is None else spoiler_text
        post.sensitive = current.sensitive if sensitive is None else bool(sensitive)
        # Never earlier than the version it replaces, whatever the clocks of two web processes say.
        post.edited_at = max(timezone.now(), before["created_at"])
        Post.objects.filter(pk=post.pk).update(
            content=post.content, spoiler_text=post.spoiler_text, sensitive=post.sensitive, edited_at=post.edited_at
        )
        tag_deltas, _ = _set_hashtags(post, extract_hashtags(post.content))
        mentioned = [user_id for user_id, _ in _set_mentions(post, extract_mentions(post.content))]
        _count_hashtags(tag_deltas)
        transaction.on_commit(lambda: hydration.forget_posts([post.pk]))
        events.announce_on_commit(events.post_edited, post_id=post.pk)
        if mentioned:
            enqueue_on_commit(notify_post_task, post_id=post.pk, mentioned_ids=mentioned)
    return post


def post_delete(*, post: Post, user: User) -> None:
    """Delete the post and uncount it, once: of concurrent deletes, the first removes it and the
    others find it gone (404), so counters never drop twice."""
    ensure_author(post=post, user=user)
    with transaction.atomic():
        # Lock the post and the post it replies to, the parent first (the lower id) as post_create
        # and a delete of the parent (which nulls its replies' reply_to) lock them. What is read
        # below is read under the lock, so it is what this delete removes.
        rows = dict(
            Post.objects.select_for_update()
            .filter(pk__in=[post.pk, post.reply_to_id] if post.reply_to_id else [post.pk])
            .order_by("pk")
            .values_list("pk", "reply_to_id")
        )
        if post.pk not in rows:
            raise Http404("No such post.")
        post_id, reply_to_id, author_id = post.pk, rows[post.pk], post.author_id
        tag_ids = list(PostHashtag.objects.filter(post_id=post_id).values_list("hashtag_id", flat=True))
        files = media_file_names(Media.objects.filter(post_id=post_id))
        retweeter_ids = list(Retweet.objects.filter(post_id=post_id).values_list("user_id", flat=True))
        reply_ids = list(Post.objects.filter(reply_to_id=post_id).values_list("id", flat=True))
        post.reply_to_id = reply_to_id
        post.delete()
        # Counters last, in post_create's order: hashtags, the author, the post replied to.
        _count_hashtags(dict.fromkeys(tag_ids, -1))
        Profile.objects.filter(pk=author_id).update(posts_count=F("posts_count") - 1)
        if reply_to_id and user.is_active:  # the author (ensure_author)
            # A deactivated author's replies are already uncounted (reaction_counts_recount).
            Post.objects.filter(pk=reply_to_id).update(replies_count=F("replies_count") - 1)
        transaction.on_commit(lambda: delete_files(files))
        transaction.on_commit(lambda: feed.invalidate_authors([author_id, *retweeter_ids]))
        # Replies' reply_to became null: their cached representations go too.
        transaction.on_commit(lambda: hydration.forget_posts([post_id, reply_to_id, *reply_ids]))
        timeline_post_deleted(post_id=post_id, author_id=author_id, retweeter_ids=retweeter_ids)
        events.announce_on_commit(
            events.post_removed,
            post_id=post_id,
            author_id=author_id,
            visibility=post.visibility,
            hashtag_ids=tag_ids,
        )


def _active_count(qs, field: str):
    """``qs``'s rows counted per outer post (``field`` = the outer pk), as an UPDATE subquery."""
    counted = qs.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def reaction_counts_recount(*, user_id: int) -> None:
    """Recount, one statement per counter, the counts the user's actions are in: ``likes_count``
    and ``retweets_count`` of the posts the user liked and retweeted, ``replies_count`` of the posts
    the user replied to, counting active accounts' likes, retweets and replies only. Run when the
    user is deactivated or reactivated; their cached representations go after commit."""
    liked = list(Like.objects.filter(user_id=user_id).values_list("post_id", flat=True))
    retweeted = list(Retweet.objects.filter(user_id=user_id).values_list("post_id", flat=True))
    replied = list(
        Post.objects.filter(author_id=user_id, reply_to__isnull=False).values_list("reply_to_id", flat=True).distinct()
    )
    if liked:
        Post.objects.filter(pk__in=liked).update(
            likes_count=_active_count(Like.objects.filter(user__is_active=True), "post_id")
        )
    if retweeted:
        Post.objects.filter(pk__in=retweeted).update(
            retweets_count=_active_count(Retweet.objects.filter(user__is_active=True), "post_id")
        )
    if replied:
        Post.objects.filter(pk__in=replied).update(
            replies_count=_active_count(Post.objects.filter(author__is_active=True), "reply_to_id")
        )
    changed = {*liked, *retweeted, *replied}
    if changed:
        transaction.on_commit(lambda: hydration.forget_posts(changed))


def _forget_reaction(*, user_id: int, post_id: int) -> None:
    """The post's counts and the user's flags on it changed: drop their cached representations."""
    hydration.forget_posts([post_id])
    hydration.forget_flags(user_id=user_id, post_id=post_id)


def like_create(*, user: User, post: Post) -> bool:
    if Like.objects.filter(user=user, post=post).exists():
        return False
    try:
        with transaction.atomic():
            like = Like.objects.create(user=user, post=post)
            enqueue_on_commit(notify_like_task, like_id=like.pk)
            Post.objects.filter(pk=post.pk).update(likes_count=F("likes_count") + 1)
            transaction.on_commit(lambda: _forget_reaction(user_id=user.pk, post_id=post.pk))
    except IntegrityError:
        return False  # a concurrent request liked it first
    return True


def like_delete(*, user: User, post: Post) -> bool:
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, post=post).delete()
        if deleted:
            if user.is_active:  # a deactivated user's like is already uncounted
                Post.objects.filter(pk=post.pk).update(likes_count=F("likes_count") - 1)
            transaction.on_commit(lambda: _forget_reaction(user_id=user.pk, post_id=post.pk))
    return bool(deleted)


def retweet_create(*, user: User, post: Post) -> bool:
    if post.author_id == user.pk:
        raise DomainError("You cannot retweet your own post.")
    protected = getattr(post, "author_is_protected", None)
    if protected is None:
        protected = Profile.objects.filter(pk=post.author_id).values_list("is_protected", flat=True).first() or False
    if post_is_restricted(post, author_protected=protected):
        raise PermissionDenied("Posts for followers only and posts of protected accounts can't be retweeted.")
    if Retweet.objects.filter(user=user, post=post).exists():
        return False
    try:
        with transaction.atomic():
            retweet = Retweet.objects.create(user=user, post=post)
            enqueue_on_commit(notify_retweet_task, retweet_id=retweet.pk)
            Post.objects.filter(pk=post.pk).update(retweets_count=F("retweets_count") + 1)
            transaction.on_commit(lambda: feed.invalidate_author(user.pk))
            transaction.on_commit(lambda: _forget_reaction(user_id=user.pk, post_id=post.pk))
            timeline_retweet_created(retweet, author_id=post.author_id)
            events.announce_on_commit(events.retweet_published, retweet_id=retweet.pk)
    except IntegrityError:
        return False
    return True


def retweet_delete(*, user: User, post: Post) -> bool:
    with transaction.atomic():
        retweet_id = Retweet.objects.filter(user=user, post=post).values_list("id", flat=True).first()
        deleted = Retweet.objects.filter(pk=retweet_id).delete()[0] if retweet_id else 0
        if deleted:
            if user.is_active:  # a deactivated user's retweet is already uncounted
                Post.objects.filter(pk=post.pk).update(retweets_count=F("retweets_count") - 1)
            transaction.on_commit(lambda: feed.invalidate_author(user.pk))
            transaction.on_commit(lambda: _forget_reaction(user_id=user.pk, post_id=post.pk))
            timeline_retweet_deleted(post_id=post.pk, retweet_id=retweet_id, user_id=user.pk)
            events.announce_on_commit(events.retweet_removed, retweet_id=retweet_id, user_id=user.pk)
    return bool(deleted)


def bookmark_create(*, user: User, post: Post) -> bool:
    """Bookmark a post the user may see (idempotent: False when it was bookmarked already)."""
    if Bookmark.objects.filter(user=user, post=post).exists():
        return False
    try:
        with transaction.atomic():
            Bookmark.objects.create(user=user, post=post)
            transaction.on_commit(lambda: hydration.forget_flags(user_id=user.pk, post_id=post.pk))
    except IntegrityError:
        return False  # a concurrent request bookmarked it first, or the post is gone
    return True


def bookmark_delete(*, user: User, post: Post) -> bool:
    """Remove a bookmark (idempotent: False when there was none)."""
    with transaction.atomic():
        deleted, _ = Bookmark.objects.filter(user=user, post=post).delete()
        if deleted:
            transaction.on_commit(lambda: hydration.forget_flags(user_id=user.pk, post_id=post.pk))
    return bool(deleted)


def pin_create(*, user: User, post: Post) -> bool:
    """Pin one of the user's own posts to their profile (403 for anyone else's; idempotent: False
    when pinned already); at most ``MAX_PINNED_POSTS`` at a time (400)."""
    ensure_author(post=post, user=user)
    with transaction.atomic():
        # The author's row serializes their pins, so two concurrent pins can't both be the fifth.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
        pinned = set(Post.objects.filter(author=user, pinned_at__isnull=False).values_list("pk", flat=True))
        if post.pk in pinned:
            return False
        if len(pinned) >= MAX_PINNED_POSTS:
            raise DomainError(f"You can pin at most {MAX_PINNED_POSTS} posts.")
        if not Post.objects.filter(pk=post.pk).update(pinned_at=timezone.now()):
            raise Http404("No such post.")
        transaction.on_commit(lambda: hydration.forget_posts([post.pk]))
    return True


def pin_delete(*, user: User, post: Post) -> bool:
    """Unpin one of the user's own posts (403 for anyone else's; idempotent: False when it was not
    pinned)."""
    ensure_author(post=post, user=user)
    with transaction.atomic():
        changed = Post.objects.filter(pk=post.pk, pinned_at__isnull=False).update(pinned_at=None)
        if changed:
            transaction.on_commit(lambda: hydration.forget_posts([post.pk]))
    return bool(changed)
