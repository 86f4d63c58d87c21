"""Serializers for uploads."""

from rest_framework import serializers

from mini_twitter.api.serializers import AbsoluteFileUrlField, absolute_url, file_url

from .models import MAX_DESCRIPTION_LENGTH, Media


class FileUrlField(AbsoluteFileUrlField):
    class Meta:
        swagger_schema_fields = {"type": "string", "format": "uri"}


class MediaSerializer(serializers.ModelSerializer):
    """A stored upload: the re-encoded file (metadata dropped, never downscaled) and a thumbnail."""

    url = FileUrlField(source="file")
    thumbnail_url = FileUrlField(source="thumbnail")

    class Meta:
        model = Media
        fields = (
            "id",
            "url",
            "thumbnail_url",
            "width",
            "height",
            "content_type",
            "size",
            "description",
            "focus_x",
            "focus_y",
            "created_at",
        )
        read_only_fields = fields


_FILE_STORAGE = Media._meta.get_field("file").storage
_THUMBNAIL_STORAGE = Media._meta.get_field("thumbnail").storage


def post_media_data(
    *,
    id: int,
    file: str,
    thumbnail: str | None,
    width: int,
    height: int,
    description: str,
    focus_x: float | None,
    focus_y: float | None,
) -> dict:
    """An image attached to a post from plain values (what cached representations keep): the stored
    files' names, their URLs kept relative until :func:`post_media_render`."""
    return {
        "id": id,
        "url": file_url(file, storage=_FILE_STORAGE),
        "thumbnail_url": file_url(thumbnail, storage=_THUMBNAIL_STORAGE),
        "width": width,
        "height": height,
        "description": description,
        "focus_x": focus_x,
        "focus_y": focus_y,
    }


def post_media_data_of(media: Media) -> dict:
    return post_media_data(
        id=media.pk,
        file=media.file.name,
        thumbnail=media.thumbnail.name,
        width=media.width,
        height=media.height,
        description=media.description,
        focus_x=media.focus_x,
        focus_y=media.focus_y,
    )


def post_media_render(item: dict, *, request=None) -> dict:
    """An image from :func:`post_media_data`, its URLs made absolute for ``request``."""
    return {
        **item,
        "url": absolute_url(item["url"], request=request),
        "thumbnail_url": absolute_url(item["thumbnail_url"], request=request),
    }


class PostMediaSerializer(serializers.ModelSerializer):
    """An image attached to a post; rendered by :func:`post_media_data` and
    :func:`post_media_render`, the fields declare the shape."""

    url = FileUrlField(source="file")
    thumbnail_url = FileUrlField(source="thumbnail")

    class Meta:
        model = Media
        fields = ("id", "url", "thumbnail_url", "width", "height", "description", "focus_x", "focus_y")
        read_only_fields = fields

    def to_representation(self, media: Media) -> dict:
        return post_media_render(post_media_data_of(media), request=self.context.get("request"))


class MediaDetailsSerializer(serializers.Serializer):
    """What an upload's owner may say about it: the alt text and the focal point."""

    description = serializers.CharField(
        max_length=MAX_DESCRIPTION_LENGTH * 4,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Alt text, for readers who can't see the image: at most {MAX_DESCRIPTION_LENGTH} characters.",
    )
    focus_x = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=-1,
        max_value=1,
        help_text="Focal point, -1 (left) to 1 (right); null: the centre.",
    )
    focus_y = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=-1,
        max_value=1,
        help_text="Focal point, -1 (bottom) to 1 (top); null: the centre.",
    )


class MediaUploadSerializer(MediaDetailsSerializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="JPEG, PNG, GIF or WebP, ≤ 10 MB, ≤ 40 megapixels; animations ≤ 300 frames, ≤ 50 megapixels in all.",
    )
