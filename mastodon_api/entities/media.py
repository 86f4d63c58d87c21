"""Mastodon's MediaAttachment from a post's image (its native representation, URLs absolute)."""


def _description(item: dict) -> str | None:
    """The alt text. Media have none yet: always null."""
    return None


def media_entity(item: dict) -> dict:
    """``item``: a post's image as ``media.serializers.post_media_render`` gives it."""
    width, height = item.get("width") or 0, item.get("height") or 0
    original = {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": width / height if height else 0,
    }
    return {
        "id": str(item["id"]),
        "type": "image",
        "url": item["url"],
        "preview_url": item.get("thumbnail_url") or item["url"],
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {"original": original},
        "description": _description(item),
        "blurhash": None,
    }
