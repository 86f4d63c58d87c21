"""Mastodon's MediaAttachment from an image's native representation (``post_media_render``: URLs
absolute), for a status's attachments and for the media endpoints alike.

Images are re-encoded synchronously on upload, so an attachment is always processed: ``url`` is
set. ``meta.small`` is the thumbnail (``media.services`` fits it in ``THUMBNAIL_SIDE`` square,
never enlarged); ``meta.focus`` is there when a focal point was set. No blurhash is computed
(null, which the entity allows)."""

from media.models import Media
from media.serializers import post_media_data_of, post_media_render
from media.services import THUMBNAIL_SIDE


def _description(item: dict) -> str | None:
    """The alt text; none (``""``) is null, as Mastodon gives it."""
    return item.get("description") or None


def _dimensions(width: int, height: int) -> dict:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height if height else 0}


def _small(width: int, height: int) -> tuple[int, int]:
    """The thumbnail's size: the image scaled down to fit the thumbnail square (never up)."""
    if not width or not height:
        return width, height
    scale = min(1, THUMBNAIL_SIDE / width, THUMBNAIL_SIDE / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def media_entity(item: dict) -> dict:
    """``item``: an image as ``media.serializers.post_media_render`` gives it."""
    width, height = item.get("width") or 0, item.get("height") or 0
    meta = {"original": _dimensions(width, height), "small": _dimensions(*_small(width, height))}
    if item.get("focus_x") is not None or item.get("focus_y") is not None:
        meta["focus"] = {"x": item.get("focus_x") or 0.0, "y": item.get("focus_y") or 0.0}
    return {
        "id": str(item["id"]),
        "type": "image",
        "url": item["url"],
        "preview_url": item.get("thumbnail_url") or item["url"],
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": _description(item),
        "blurhash": None,
    }


def media_entity_of(media: Media, *, request) -> dict:
    """The MediaAttachment of an upload (attached to a post or not)."""
    return media_entity(post_media_render(post_media_data_of(media), request=request))
