"""Uploaded images, attached to posts in order."""

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_DESCRIPTION_LENGTH = 1500


class Media(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media")
    # Server-chosen names only; the client's file name is never used.
    file = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255, blank=True)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes of the stored (re-encoded) file.")
    created_at = models.DateTimeField(default=timezone.now)
    # Indexed by (post, position) below.
    post = models.ForeignKey(
        "posts.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="media", db_index=False
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Alt text, for readers who can't see the image.
    description = models.CharField(max_length=MAX_DESCRIPTION_LENGTH, blank=True, default="")
    # The focal point to keep in view when the image is cropped: x from -1 (left) to 1 (right),
    # y from -1 (bottom) to 1 (top); null = the centre.
    focus_x = models.FloatField(null=True, blank=True)
    focus_y = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "media"
        indexes = [
            models.Index(fields=["post", "position"], name="media_media_post_idx"),
            # The cleanup task's scan for old unattached uploads.
            models.Index(fields=["created_at"], condition=models.Q(post__isnull=True), name="media_unattached_idx"),
        ]

    def __str__(self) -> str:
        return f"media {self.pk} of {self.owner_id}"
