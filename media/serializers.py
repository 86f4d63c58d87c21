"""Serializers for uploads."""

from rest_framework import serializers

from mini_twitter.api.serializers import AbsoluteFileUrlField

from .models import Media


class FileUrlField(AbsoluteFileUrlField):
    class Meta:
        swagger_schema_fields = {"type": "string", "format": "uri"}


class MediaSerializer(serializers.ModelSerializer):
    """A stored upload: the re-encoded file (metadata dropped, never downscaled) and a thumbnail."""

    url = FileUrlField(source="file")
    thumbnail_url = FileUrlField(source="thumbnail")

    class Meta:
        model = Media
        fields = ("id", "url", "thumbnail_url", "width", "height", "content_type", "size", "created_at")
        read_only_fields = fields


class PostMediaSerializer(serializers.ModelSerializer):
    """An image attached to a post."""

    url = FileUrlField(source="file")
    thumbnail_url = FileUrlField(source="thumbnail")

    class Meta:
        model = Media
        fields = ("id", "url", "thumbnail_url", "width", "height")
        read_only_fields = fields


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="JPEG, PNG, GIF or WebP, ≤ 10 MB, ≤ 40 megapixels; animations ≤ 300 frames, ≤ 50 megapixels in all.",
    )
