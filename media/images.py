"""Validation and re-encoding of uploaded images.

An upload is judged by decoding its content with Pillow, never by its name or declared content type.
Accepted images are re-encoded in their own format, which drops EXIF (GPS and the like) and other
metadata, after applying the EXIF orientation. Size and pixel limits come from settings.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from mini_twitter.api.exceptions import PayloadTooLarge

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class ProcessedImage:
    content: ContentFile
    width: int
    height: int
    content_type: str
    extension: str
    # The decoded picture (orientation applied; an animation's first frame), for a thumbnail.
    decoded: Image.Image

    @property
    def size(self) -> int:
        return self.content.size

    def filename(self) -> str:
        return f"{uuid.uuid4().hex}.{self.extension}"


def _open_checked(data: bytes) -> Image.Image:
    max_pixels = settings.MEDIA_MAX_PIXELS
    too_many = f"The image has too many pixels; at most {max_pixels / 1_000_000:g} megapixels are accepted."
    with warnings.catch_warnings():
        # Opening reads only the header; the pixel bound below is checked before any decoding.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ValidationError(too_many, code="too_many_pixels") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise ValidationError("Upload a valid image: JPEG, PNG, GIF or WebP.", code="invalid_image") from exc
    if image.format not in FORMATS:
        raise ValidationError("Only JPEG, PNG, GIF and WebP images are accepted.", code="unsupported_format")
    width, height = image.size
    if width * height > max_pixels:
        raise ValidationError(too_many, code="too_many_pixels")
    return image


def process_image(upload) -> ProcessedImage:
    """Validate an uploaded file and return it re-encoded without metadata.

    Raises ``ValidationError``, or ``PayloadTooLarge`` (413) over the byte limit, with a message fit
    for the client.
    """
    limit = settings.MEDIA_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise PayloadTooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.")

    image = _open_checked(data)
    fmt = image.format
    content_type, extension = FORMATS[fmt]
    try:
        image.load()
        if fmt == "GIF" and getattr(image, "is_animated", False):
            out = _reencode_animated_gif(image)
            width, height = image.size
        else:
            image = ImageOps.exif_transpose(image)
            width, height = image.size
            out = _reencode(image, fmt)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # Truncated or corrupt data shows up only while decoding.
        raise ValidationError("The image is corrupt or truncated.", code="invalid_image") from exc
    return ProcessedImage(
        content=ContentFile(out),
        width=width,
        height=height,
        content_type=content_type,
        extension=extension,
        decoded=image,
    )


def _reencode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        image.save(buffer, "PNG", optimize=True)
    elif fmt == "GIF":
        image.save(buffer, "GIF")
    else:
        image.save(buffer, "WEBP", quality=90)
    return buffer.getvalue()


def _reencode_animated_gif(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "GIF", save_all=True, loop=image.info.get("loop", 0), duration=image.info.get("duration"))
    return buffer.getvalue()
