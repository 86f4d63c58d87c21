"""Image bytes made on the fly for upload tests."""

import io
import struct

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(fmt: str = "PNG", size=(40, 30), color=(200, 30, 30), exif: Image.Exif | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPSInfo
    if orientation:
        exif[0x0112] = orientation
    return exif


def upload(name="pic.png", fmt="PNG", content_type="image/png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(fmt, **kwargs), content_type=content_type)


# The smallest LZW streams (minimum code size 2): clear code, one pixel of colour 0 or 1, end code.
_ONE_PIXEL = {0: bytes([2, 2, 0x44, 0x01, 0]), 1: bytes([2, 2, 0x4C, 0x01, 0])}


def gif_bytes(screen=(1, 1), frames=((0, 0, 1, 1, 100),)) -> bytes:
    """A GIF written block by block: a logical screen of ``screen`` with a black and white palette,
    and one image per ``(left, top, width, height, duration_ms[, colour])`` frame, ``duration_ms``
    None for no graphic control extension. Each frame's data codes a single pixel of colour 0 (black,
    the default) or 1, so a file of a few bytes can declare frames and canvases of any size."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", *screen) + bytes([0x80, 0, 0]) + b"\x00\x00\x00\xff\xff\xff")
    out += b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for left, top, width, height, duration, *colour in frames:
        if duration is not None:
            out += b"!\xf9\x04\x00" + struct.pack("<H", duration // 10) + b"\x00\x00"
        out += b"," + struct.pack("<HHHH", left, top, width, height) + b"\x00" + _ONE_PIXEL[colour[0] if colour else 0]
    return bytes(out + b";")
