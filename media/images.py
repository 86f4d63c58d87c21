"""Validation and re-encoding of uploaded images.

An upload is judged by decoding its content with Pillow, never by its name or declared content type.
Accepted images are re-encoded in their own format, which drops EXIF (GPS and the like) and other
metadata, after applying the EXIF orientation. Size, pixel and frame limits come from settings and are
checked from the headers, before any pixel data is decoded. Animated GIFs stay animated (each frame
keeps its duration); animated PNG and WebP are stored as their first frame.
"""

import io
import struct
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


@dataclass(frozen=True)
class Geometry:
    """What decoding an upload will produce: the canvas every frame is drawn on, and how many frames."""

    width: int
    height: int
    frames: int


def _too_many_pixels() -> ValidationError:
    max_pixels = settings.MEDIA_MAX_PIXELS
    return ValidationError(
        f"The image has too many pixels; at most {max_pixels / 1_000_000:g} megapixels are accepted.",
        code="too_many_pixels",
    )


def _too_many_frames() -> ValidationError:
    return ValidationError(
        f"The image has too many frames; at most {settings.MEDIA_MAX_FRAMES} are accepted.", code="too_many_frames"
    )


def _check_geometry(geometry: Geometry, decoded_frames: int) -> None:
    """The limits for an image of ``geometry`` of which ``decoded_frames`` frames will be decoded."""
    pixels = geometry.width * geometry.height
    if geometry.frames > settings.MEDIA_MAX_FRAMES:
        raise _too_many_frames()
    if pixels > settings.MEDIA_MAX_PIXELS:
        raise _too_many_pixels()
    max_total = settings.MEDIA_MAX_TOTAL_PIXELS
    if pixels * decoded_frames > max_total:
        raise ValidationError(
            f"The animation is too large: its frames come to more than {max_total / 1_000_000:g} megapixels "
            "in all (width × height × frames).",
            code="too_many_pixels",
        )


def _sub_block(data: bytes, pos: int) -> tuple[bytes | None, int]:
    """One GIF data sub-block (a length byte and that many bytes), read as Pillow reads it: its bytes,
    or None for the zero length that ends a chain (or the end of the data), and the next position."""
    if pos >= len(data):
        return None, pos
    length = data[pos]
    if not length:
        return None, pos + 1
    return data[pos + 1 : pos + 1 + length], pos + 1 + length


def _skip_sub_blocks(data: bytes, pos: int, budget: "_ExtensionBudget | None" = None) -> int:
    """The position after a chain of sub-blocks, which a zero length ends; an extension's chain is
    charged to ``budget`` (image data is not: Pillow's decoder reads it, not Python code)."""
    end = len(data)
    while pos < end:
        length = data[pos]
        pos += 1 + length
        if not length:
            return pos
        if budget is not None:
            budget.charge(length)
    return pos


# Pillow reads every sub-block of an extension as a bytes object of its own (and keeps a comment's),
# so a 10 MB GIF of one-byte comment sub-blocks would cost seconds and hundreds of MB before any
# pixel. Real extensions (a frame's delay, the loop count, XMP) are a few sub-blocks each.
GIF_EXTENSION_MAX_SUB_BLOCKS = 1_000
GIF_EXTENSION_MAX_BYTES = 64 * 1024
GIF_EXTENSIONS_MAX_SUB_BLOCKS = 10_000  # all of a file's extensions together


class _ExtensionBudget:
    def __init__(self) -> None:
        self.total_sub_blocks = 0
        self.start()

    def start(self) -> None:
        """A new extension begins."""
        self.sub_blocks = self.bytes = 0

    def charge(self, length: int) -> None:
        self.sub_blocks += 1
        self.bytes += length
        self.total_sub_blocks += 1
        if (
            self.sub_blocks > GIF_EXTENSION_MAX_SUB_BLOCKS
            or self.bytes > GIF_EXTENSION_MAX_BYTES
            or self.total_sub_blocks > GIF_EXTENSIONS_MAX_SUB_BLOCKS
        ):
            raise ValidationError("The image carries too much metadata.", code="too_much_metadata")


def _gif_geometry(data: bytes) -> Geometry:
    """Count a GIF's frames and find the canvas they are drawn on from its block structure, without
    decoding pixel data.

    A frame may lie outside the logical screen the header declares; Pillow then grows the canvas to
    hold it (and composes every later frame on the grown canvas), so the canvas is the union of the
    screen and all frames. The walk reads the blocks exactly as Pillow's GIF reader does, quirks
    included, so that both find the same frames; it stops as soon as a limit is crossed."""
    invalid = ValidationError("The image is corrupt or truncated.", code="invalid_image")
    end = len(data)
    if end < 13:
        raise invalid
    width, height = struct.unpack_from("<HH", data, 6)
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    budget = _ExtensionBudget()
    while pos < end:
        introducer = data[pos]
        pos += 1
        if introducer == 0x3B:  # trailer
            break
        if introducer == 0x21:  # extension: a label byte, then sub-blocks
            if pos >= end:
                raise invalid
            label = data[pos]
            budget.start()
            block, pos = _sub_block(data, pos + 1)
            if block is not None:
                budget.charge(len(block))
            if label == 0xFE:  # comment
                if block is not None:
                    pos = _skip_sub_blocks(data, pos, budget)
                continue
            if label == 0xF9 and block is not None and (len(block) < 3 or (block[0] & 1 and len(block) < 4)):
                raise invalid  # a graphic control block too short for its delay and transparency
            if label == 0xFF and not frames and block is not None and block.startswith(b"NETSCAPE2.0"):
                block, pos = _sub_block(data, pos)
                if block is not None:
                    budget.charge(len(block))
            # Pillow then skips a chain of sub-blocks even when it has just read the one ending the
            # extension, and so skips whatever chain follows.
            pos = _skip_sub_blocks(data, pos, budget)
        elif introducer == 0x2C:  # image descriptor: left, top, width, height, flags
            if pos + 9 > end:
                raise invalid
            left, top, frame_width, frame_height = struct.unpack_from("<HHHH", data, pos)
            flags = data[pos + 8]
            pos += 9 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
            if pos >= end:
                raise invalid
            # The LZW code size byte, then the pixel data's sub-blocks.
            pos = _skip_sub_blocks(data, pos + 1)
            frames += 1
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            if frames > settings.MEDIA_MAX_FRAMES:
                raise _too_many_frames()
            if width * height > settings.MEDIA_MAX_PIXELS:
                raise _too_many_pixels()
        else:
            # Pillow would skip it and look at the next byte, one at a time; no encoder writes it.
            raise invalid
    return Geometry(width, height, max(frames, 1))


def _open_checked(data: bytes) -> Image.Image:
    gif = data.startswith((b"GIF87a", b"GIF89a"))
    if gif:
        # Before Pillow opens it: opening already reads the first frame's header and may grow the
        # canvas and fill it.
        geometry = _gif_geometry(data)
        _check_geometry(geometry, decoded_frames=geometry.frames)  # an animated GIF is kept whole
    with warnings.catch_warnings():
        # Opening reads only the header; the pixel bound below is checked before any decoding.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels() from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise ValidationError("Upload a valid image: JPEG, PNG, GIF or WebP.", code="invalid_image") from exc
    if image.format not in FORMATS:
        raise ValidationError("Only JPEG, PNG, GIF and WebP images are accepted.", code="unsupported_format")
    if not gif:
        # APNG's frame count is declared in its acTL chunk and WebP's comes from its frame headers;
        # both formats keep every frame inside the canvas the header declares. Only the first frame
        # is decoded and stored.
        _check_geometry(Geometry(*image.size, frames=getattr(image, "n_frames", 1)), decoded_frames=1)
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
            first_frame = image.copy()
            out = _reencode_animated_gif(image)
            width, height = image.size
            image = first_frame
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


# JPEG and GIF writers copy the upload's comment (``info["comment"]``) unless told otherwise; PNG
# writes text chunks and WebP its metadata chunks only when given them.
NO_COMMENT = {"comment": b""}


def _reencode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=90, optimize=True, **NO_COMMENT)
    elif fmt == "PNG":
        image.save(buffer, "PNG", optimize=True)
    elif fmt == "GIF":
        image.save(buffer, "GIF", **NO_COMMENT)
    else:
        image.save(buffer, "WEBP", quality=90)
    return buffer.getvalue()


def _reencode_animated_gif(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No ``duration`` argument: Pillow then gives each frame its own (or none, where the file has none).
    image.save(buffer, "GIF", save_all=True, loop=image.info.get("loop", 0), **NO_COMMENT)
    return buffer.getvalue()
