"""Animated uploads: frame and pixel limits checked before decoding, on every path that takes an image
(media uploads, avatars, the microblog API's media), and legitimate animations kept as they are."""

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile, ImageSequence
from rest_framework.test import APIClient

from media.models import Media
from media.tests.images import gif_bytes
from users.models import Profile
from users.services import api_key_create

pytestmark = pytest.mark.django_db

TOO_MANY_PIXELS = "The image has too many pixels; at most 40 megapixels are accepted."
TOO_MANY_FRAMES = "The image has too many frames; at most 300 are accepted."
TOO_LARGE_ANIMATION = (
    "The animation is too large: its frames come to more than 50 megapixels in all (width × height × frames)."
)
CORRUPT = "The image is corrupt or truncated."
MEDIA = "/api/media/"


@dataclass(frozen=True)
class UploadPath:
    url: str
    method: str
    field: str
    created: int
    refused: int

    def send(self, user, data: bytes, name: str = "a.gif"):
        client = APIClient()
        if self.url == "/api/medias":
            client.credentials(HTTP_API_KEY=api_key_create(user=user, name="front end")[1])
        else:
            client.force_authenticate(user=user)
        file = SimpleUploadedFile(name, data, content_type="image/gif")
        return getattr(client, self.method)(self.url, {self.field: file}, format="multipart")

    def error_message(self, response) -> str:
        body = response.json()
        if self.url == "/api/medias":
            assert body["result"] is False and body["error_type"] == "ValidationError"
            return body["error_message"].removeprefix("file: ")
        assert set(body) == {self.field}
        return " ".join(body[self.field])

    def stored_file(self, user, settings) -> Path:
        if self.field == "avatar":
            name = Profile.objects.get(pk=user.pk).avatar.name
        else:
            name = Media.objects.get(owner=user).file.name
        return Path(settings.MEDIA_ROOT) / name


PATHS = {
    "media": UploadPath("/api/media/", "post", "file", created=201, refused=400),
    "avatar": UploadPath("/api/users/profiles/update_my_profile/", "patch", "avatar", created=200, refused=400),
    "microblog": UploadPath("/api/medias", "post", "file", created=201, refused=422),
}


@pytest.fixture(params=PATHS.values(), ids=PATHS.keys())
def path(request) -> UploadPath:
    return request.param


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image's pixel data is decoded."""

    def load(self):
        pytest.fail(f"{self.format} pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def assert_nothing_stored(user, settings):
    assert not Media.objects.exists()
    assert not Profile.objects.get(pk=user.pk).avatar
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []


def animation(fmt: str, frames: int = 3, size=(40, 30), durations=None) -> bytes:
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    images = [Image.new("RGB", size, colors[i % len(colors)]) for i in range(frames)]
    buffer = io.BytesIO()
    durations = durations or [100 * (i + 1) for i in range(frames)]
    images[0].save(buffer, fmt, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return buffer.getvalue()


def test_gif_with_a_frame_far_outside_its_screen_is_refused_before_decoding(path, user, settings, no_decoding):
    # A 1x1 screen whose second frame, at (6999, 6999), would grow the canvas to 7000x7000.
    data = gif_bytes(screen=(1, 1), frames=[(0, 0, 1, 1, 100), (6999, 6999, 1, 1, 100)])
    assert len(data) < 100
    response = path.send(user, data)
    assert response.status_code == path.refused, response.content
    assert path.error_message(response) == TOO_MANY_PIXELS
    assert_nothing_stored(user, settings)


def test_gif_with_many_large_frames_is_refused_before_decoding(path, user, settings, no_decoding):
    # 15 frames of 39.65 megapixels each, each under the per-image limit: 595 megapixels to decode.
    data = gif_bytes(screen=(6500, 6100), frames=[(0, 0, 6500, 6100, 100)] * 15)
    response = path.send(user, data)
    assert response.status_code == path.refused, response.content
    assert path.error_message(response) == TOO_LARGE_ANIMATION
    assert_nothing_stored(user, settings)


def test_gif_with_too_many_frames_is_refused_before_decoding(path, user, settings, no_decoding):
    data = gif_bytes(screen=(1, 1), frames=[(0, 0, 1, 1, 20)] * 10_000)
    response = path.send(user, data)
    assert response.status_code == path.refused, response.content
    assert path.error_message(response) == TOO_MANY_FRAMES
    assert_nothing_stored(user, settings)


def with_extensions(*extensions: bytes) -> bytes:
    """A one-frame GIF with ``extensions`` (label and sub-blocks, without the "!") before its frame."""
    data = gif_bytes(screen=(4, 4))
    header = len(gif_bytes(screen=(4, 4), frames=[])) - 1  # up to the trailer
    return data[:header] + b"".join(b"!" + extension for extension in extensions) + data[header:]


def comment(sub_blocks: int, length: int) -> bytes:
    return b"\xfe" + (bytes([length]) + b"c" * length) * sub_blocks + b"\x00"


@pytest.mark.parametrize(
    "extensions",
    [
        [comment(1_001, 1)],
        [comment(300, 255)],
        [comment(900, 1)] * 12,
        [b"\xf9\x04\x00\x0a\x00\x00" + b"\x01x" * 2_000],
    ],
    ids=["many sub-blocks", "many bytes", "many extensions", "after a graphic control block"],
)
def test_gif_with_an_oversized_extension_is_refused_before_decoding(path, user, settings, no_decoding, extensions):
    response = path.send(user, with_extensions(*extensions))
    assert response.status_code == path.refused, response.content
    assert path.error_message(response) == "The image carries too much metadata."
    assert_nothing_stored(user, settings)


def test_gif_with_small_comments_is_stored(path, user, settings):
    response = path.send(user, with_extensions(comment(1_000, 1), comment(250, 255)))
    assert response.status_code == path.created, response.content


@pytest.mark.parametrize("junk", [b"\x00", b"\x07" * 1_000], ids=["one byte", "a run"])
def test_gif_with_bytes_between_its_blocks_is_refused_as_corrupt(path, user, settings, no_decoding, junk):
    data = gif_bytes(screen=(4, 4))
    response = path.send(user, data[:-1] + junk + data[-1:])
    assert response.status_code == path.refused, response.content
    assert path.error_message(response) == CORRUPT
    assert_nothing_stored(user, settings)


def far_frame_hidden_behind(extension: bytes) -> bytes:
    """A frame at (6999, 6999) that Pillow reads after ``extension`` (an extension whose sub-blocks
    end at once, after which Pillow skips one more chain of sub-blocks), placed where a reader that
    skipped only the extension's own sub-blocks would take it for the data of another extension."""
    far = b"," + struct.pack("<HHHH", 6999, 6999, 1, 1) + b"\x00" + bytes([2, 2, 0x44, 0x01, 0])
    # Pillow skips the chain "\x01 !" and then reads the frame; the other reader sees an extension
    # "! \x00" whose first sub-block, 0x2C (",") bytes long, swallows the frame and the padding.
    return extension + b"\x01!\x00" + far + b"\x07" * (0x2C - len(far)) + b"\x00"


@pytest.mark.parametrize("extension", [b"!\xf9\x00", b"!\xff\x0bNETSCAPE2.0\x00"], ids=["graphic control", "netscape"])
def test_gif_frame_behind_an_extension_quirk_is_still_measured(auth_client, user, settings, no_decoding, extension):
    header = gif_bytes(screen=(4, 4))[:19]  # signature, screen, palette
    first = gif_bytes(screen=(4, 4))[19 + 19 : -1]  # one frame, after the loop extension
    if extension.startswith(b"!\xff"):
        # Pillow honours the loop extension only before the first frame.
        data = header + far_frame_hidden_behind(extension) + first + b";"
    else:
        data = header + first + far_frame_hidden_behind(extension) + b";"
    image = Image.open(io.BytesIO(data))
    assert image.n_frames == 2
    response = auth_client.post(MEDIA, {"file": SimpleUploadedFile("a.gif", data)}, format="multipart")
    assert response.status_code == 400, response.content
    assert response.json() == {"file": [TOO_MANY_PIXELS]}
    assert_nothing_stored(user, settings)


def test_animated_gif_whose_first_frame_has_no_duration_is_stored(path, user, settings):
    data = gif_bytes(screen=(4, 4), frames=[(0, 0, 1, 1, None, 1), (1, 1, 1, 1, 200, 1), (2, 2, 1, 1, 300, 1)])
    response = path.send(user, data)
    assert response.status_code == path.created, response.content
    stored = Image.open(path.stored_file(user, settings))
    assert stored.format == "GIF" and stored.size == (4, 4)
    assert [frame.info.get("duration", 0) for frame in ImageSequence.Iterator(stored)] == [0, 200, 300]


def test_small_animated_gif_is_stored_animated_with_each_frame_duration(path, user, settings):
    response = path.send(user, animation("GIF", frames=3, durations=[100, 200, 300]))
    assert response.status_code == path.created, response.content
    stored = Image.open(path.stored_file(user, settings))
    assert stored.format == "GIF" and stored.size == (40, 30)
    frames = [
        (frame.convert("RGB").getpixel((0, 0)), frame.info["duration"]) for frame in ImageSequence.Iterator(stored)
    ]
    assert frames == [((255, 0, 0), 100), ((0, 255, 0), 200), ((0, 0, 255), 300)]


def test_animated_gif_thumbnail_shows_the_first_frame(auth_client, settings):
    response = auth_client.post(MEDIA, {"file": SimpleUploadedFile("a.gif", animation("GIF"))}, format="multipart")
    assert response.status_code == 201
    thumbnail = Path(settings.MEDIA_ROOT) / response.json()["thumbnail_url"].split("/media/", 1)[1]
    assert Image.open(thumbnail).convert("RGB").getpixel((0, 0)) == (255, 0, 0)


def test_gif_frame_outside_its_screen_within_the_limits_grows_the_canvas(auth_client):
    data = gif_bytes(screen=(10, 10), frames=[(0, 0, 1, 1, 100), (24, 34, 1, 1, 100, 1)])
    response = auth_client.post(MEDIA, {"file": SimpleUploadedFile("a.gif", data)}, format="multipart")
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (25, 35)


@pytest.mark.parametrize("cut", [3, 8])
def test_gif_cut_inside_a_later_frame_header_is_400(auth_client, cut):
    data = gif_bytes(screen=(4, 4), frames=[(0, 0, 1, 1, 100), (1, 1, 1, 1, 100)])
    second_frame = data.rindex(b",")
    response = auth_client.post(
        MEDIA, {"file": SimpleUploadedFile("a.gif", data[: second_frame + cut])}, format="multipart"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"file": [CORRUPT]}


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_png_and_webp_are_stored_as_their_first_frame(auth_client, settings, fmt):
    response = auth_client.post(MEDIA, {"file": SimpleUploadedFile("a.bin", animation(fmt))}, format="multipart")
    assert response.status_code == 201, response.content
    stored = Image.open(Path(settings.MEDIA_ROOT) / response.json()["url"].split("/media/", 1)[1])
    assert stored.format == fmt and getattr(stored, "n_frames", 1) == 1
    assert stored.convert("RGB").getpixel((0, 0))[:2] == (255, 0)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_png_and_webp_over_the_frame_limit_are_refused_before_decoding(
    auth_client, user, settings, no_decoding, fmt
):
    settings.MEDIA_MAX_FRAMES = 3
    response = auth_client.post(
        MEDIA, {"file": SimpleUploadedFile("a.bin", animation(fmt, frames=4))}, format="multipart"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"file": ["The image has too many frames; at most 3 are accepted."]}
    assert_nothing_stored(user, settings)


def test_animated_gif_over_the_total_pixel_limit_is_refused_before_decoding(auth_client, user, settings, no_decoding):
    settings.MEDIA_MAX_TOTAL_PIXELS = 3 * 40 * 30 - 1
    response = auth_client.post(
        MEDIA, {"file": SimpleUploadedFile("a.bin", animation("GIF", frames=3))}, format="multipart"
    )
    assert response.status_code == 400, response.content
    message = "The animation is too large: its frames come to more than 0.003599 megapixels in all"
    assert response.json()["file"][0].startswith(message)
    assert_nothing_stored(user, settings)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_png_and_webp_count_only_their_stored_first_frame_against_the_total_pixel_limit(
    auth_client, settings, fmt
):
    # Frames × canvas is over the limit, but only the first frame is decoded: like a 4-frame
    # 20-megapixel WebP under the default 50 megapixels.
    settings.MEDIA_MAX_TOTAL_PIXELS = 40 * 30
    response = auth_client.post(
        MEDIA, {"file": SimpleUploadedFile("a.bin", animation(fmt, frames=4))}, format="multipart"
    )
    assert response.status_code == 201, response.content
    stored = Image.open(Path(settings.MEDIA_ROOT) / response.json()["url"].split("/media/", 1)[1])
    assert stored.format == fmt and stored.size == (40, 30) and getattr(stored, "n_frames", 1) == 1


def test_animation_at_the_limits_is_accepted(auth_client, settings):
    settings.MEDIA_MAX_FRAMES = 3
    settings.MEDIA_MAX_TOTAL_PIXELS = 3 * 40 * 30
    for fmt in ("GIF", "PNG", "WEBP"):
        response = auth_client.post(
            MEDIA, {"file": SimpleUploadedFile("a.bin", animation(fmt, frames=3))}, format="multipart"
        )
        assert response.status_code == 201, (fmt, response.content)
