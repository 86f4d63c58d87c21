"""Posts, likes, retweets, hashtags and mentions."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

MAX_POST_LENGTH = 280
MAX_SPOILER_TEXT_LENGTH = 100
MAX_PINNED_POSTS = 5


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True)  # stored lower-case
    posts_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"#{self.name}"


class PostManager(models.Manager):
    def get_queryset(self):
        # The search document is for the database's full-text index, never for Python.
        return super().get_queryset().defer("search_vector")


class Post(models.Model):
    class Visibility(models.TextChoices):
        # Anyone, everywhere.
        PUBLIC = "public", "Public"
        # Anyone with the link, followers' feeds and the author's list; not in search, hashtag
        # lists, trending or the all-posts list.
        UNLISTED = "unlisted", "Unlisted"
        # The author and their followers only (every post of a protected account is treated so).
        FOLLOWERS = "followers", "Followers"

    # Foreign keys whose lookups a composite index below already serves get no index of their own:
    # every index slows every insert.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts", db_index=False)
    content = models.CharField(max_length=MAX_POST_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Replies outlive the post they answer: deleting a post sets its replies' reply_to to null.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies", db_index=False
    )
    # No index of its own: the lists read their newest-first indexes and filter on it (most posts are
    # public, so the filter costs little); the partial index below serves the anonymous listings.
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    # A content warning shown in place of the content until the reader opens it ("" = none), and
    # whether the media are to be hidden behind it.
    spoiler_text = models.CharField(max_length=MAX_SPOILER_TEXT_LENGTH, blank=True, default="")
    sensitive = models.BooleanField(default=False)
    # When its author pinned it to their profile (null: not pinned); at most MAX_PINNED_POSTS each.
    pinned_at = models.DateTimeField(null=True, blank=True)
    likes_count = models.PositiveIntegerField(default=0)
    retweets_count = models.PositiveIntegerField(default=0)
    replies_count = models.PositiveIntegerField(default=0)
    # Full-text search document, kept by a database trigger on PostgreSQL (migration 0004); unused
    # (null) on SQLite, where search falls back to a substring match.
    search_vector = SearchVectorField(null=True, editable=False)
    # The Idempotency-Key its author's request carried (mini_twitter.api.idempotency), stored with the
    # post so that a retry finds it; it stands for an hour after created_at, then may be reused.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, editable=False)
    hashtags = models.ManyToManyField(Hashtag, through="PostHashtag", related_name="posts")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Mention", related_name="mentioned_in")

    objects = PostManager()

    class Meta:
        indexes = [
            # The global list and cursor pages: newest first.
            models.Index(fields=["-created_at", "-id"], name="posts_post_created_idx"),
            # An author's posts (profile pages, the feed's "posts by the people I follow").
            models.Index(fields=["author", "-created_at", "-id"], name="posts_post_author_idx"),
            # What anyone may list (search, hashtag lists, the all-posts list of an anonymous
            # viewer): public posts, newest first.
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(visibility="public"),
                name="posts_post_public_created_idx",
            ),
            # Replies to a post, oldest first.
            models.Index(fields=["reply_to", "created_at", "id"], name="posts_post_replies_idx"),
            # An author's pinned posts, most recently pinned first (few rows: a partial index).
            models.Index(
                fields=["author", "-pinned_at", "-id"],
                condition=models.Q(pinned_at__isnull=False),
                name="posts_post_pinned_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="posts_post_idempotency_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.content[:40]}"


class PostHashtag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, db_index=False)
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, db_index=False)
    # The post's creation time, copied so trending can count "posts of the last 24 h" by an index.
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "hashtag"], name="posts_posthashtag_unique")]
        indexes = [
            models.Index(fields=["created_at", "hashtag"], name="posts_posthashtag_trend_idx"),
            models.Index(fields=["hashtag", "-created_at", "post"], name="posts_posthashtag_tag_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} #{self.hashtag_id}"


class Mention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="posts_mention_unique")]

    def __str__(self) -> str:
        return f"post {self.post_id} @{self.user_id}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes", db_index=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="posts_like_unique")]
        indexes = [models.Index(fields=["post", "-created_at"], name="posts_like_post_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Retweet(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="retweets", db_index=False
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="retweets", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="posts_retweet_unique")]
        indexes = [
            # The feed's "retweets by the people I follow", newest first.
            models.Index(fields=["user", "-created_at", "-id"], name="posts_retweet_user_idx"),
            models.Index(fields=["post", "-created_at"], name="posts_retweet_post_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} retweets {self.post_id}"


class Bookmark(models.Model):
    """A post a user keeps for later; only that user sees it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks", db_index=False
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="posts_bookmark_unique")]
        indexes = [
            # My bookmarks, most recently bookmarked first: by id, unique and in the order of
            # insertion, so cursor pages never tie.
            models.Index(fields=["user", "-id"], name="posts_bookmark_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} bookmarks {self.post_id}"


class PostEdit(models.Model):
    """An earlier version of an edited post, written by each edit: what the post said before it,
    and since when (its ``created_at``: the post's creation or the edit before)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="edits", db_index=False)
    content = models.CharField(max_length=MAX_POST_LENGTH)
    spoiler_text = models.CharField(max_length=MAX_SPOILER_TEXT_LENGTH, blank=True, default="")
    sensitive = models.BooleanField(default=False)
    # The attached images as that version showed them (``media.serializers.post_media_data``).
    media = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["post", "created_at", "id"], name="posts_postedit_post_idx")]

    def __str__(self) -> str:
        return f"post {self.post_id} as of {self.created_at:%Y-%m-%d %H:%M:%S}"
