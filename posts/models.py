"""Posts, likes, retweets, hashtags and mentions."""

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_POST_LENGTH = 280


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True)  # stored lower-case
    posts_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"#{self.name}"


class Post(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    content = models.CharField(max_length=MAX_POST_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Replies outlive the post they answer: deleting a post sets its replies' reply_to to null.
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    likes_count = models.PositiveIntegerField(default=0)
    retweets_count = models.PositiveIntegerField(default=0)
    replies_count = models.PositiveIntegerField(default=0)
    hashtags = models.ManyToManyField(Hashtag, through="PostHashtag", related_name="posts")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Mention", related_name="mentioned_in")

    class Meta:
        indexes = [
            # The global list and cursor pages: newest first.
            models.Index(fields=["-created_at", "-id"], name="posts_post_created_idx"),
            # An author's posts (profile pages, the feed's "posts by the people I follow").
            models.Index(fields=["author", "-created_at", "-id"], name="posts_post_author_idx"),
            # Replies to a post, oldest first.
            models.Index(fields=["reply_to", "created_at", "id"], name="posts_post_replies_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.content[:40]}"


class PostHashtag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE)
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
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="posts_mention_unique")]

    def __str__(self) -> str:
        return f"post {self.post_id} @{self.user_id}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="posts_like_unique")]
        indexes = [models.Index(fields=["post", "-created_at"], name="posts_like_post_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Retweet(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="retweets")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="retweets")
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
