"""Image uploads: validation, re-encoding, attachment to posts, serving and cleanup."""

import io
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from media.models import Media
from media.tasks import delete_unattached_media_task
from media.tests.images import gps_exif, image_bytes, upload
from posts.models import Post
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEDIA = "/api/media/"
FIELDS = {
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
}


def post_file(client, file):
    return client.post(MEDIA, {"file": file}, format="multipart")


def stored(settings, url: str) -> Path:
    return Path(settings.MEDIA_ROOT) / url.split("/media/", 1)[1]


def huge_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with almost no pixel data."""
    small = image_bytes("PNG", size=(1, 1))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    header = small[:8] + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return header + small[8 + 4 + 4 + 13 + 4 :]


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_upload_each_image_type(auth_client, user, settings, fmt, content_type, extension):
    response = post_file(auth_client, upload(name="holiday photo.bin", fmt=fmt, size=(64, 48)))
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert (body["width"], body["height"], body["content_type"]) == (64, 48, content_type)
    assert body["url"].startswith("http://testserver/media/uploads/") and body["url"].endswith(f".{extension}")
    assert "holiday" not in body["url"]
    path = stored(settings, body["url"])
    assert path.stat().st_size == body["size"]
    assert Image.open(path).format == fmt
    thumb = stored(settings, body["thumbnail_url"])
    assert max(Image.open(thumb).size) <= 320
    media = Media.objects.get(pk=body["id"])
    assert media.owner == user and media.post is None


def test_large_image_is_never_downscaled_but_thumbnail_is_small(auth_client, settings):
    body = post_file(auth_client, upload(fmt="PNG", size=(1200, 900))).json()
    assert (body["width"], body["height"]) == (1200, 900)
    assert Image.open(stored(settings, body["url"])).size == (1200, 900)
    assert Image.open(stored(settings, body["thumbnail_url"])).size == (320, 240)


def test_exif_is_removed_and_orientation_applied(auth_client, settings):
    data = image_bytes("JPEG", size=(40, 30), exif=gps_exif(orientation=6))
    assert len(Image.open(io.BytesIO(data)).getexif()) > 0
    body = post_file(auth_client, SimpleUploadedFile("a.jpg", data, content_type="image/jpeg")).json()
    image = Image.open(stored(settings, body["url"]))
    assert len(image.getexif()) == 0
    assert image.size == (30, 40) and (body["width"], body["height"]) == (30, 40)


SECRET = b"shot at 52.37N 4.90E by cam-7"


def commented(fmt: str) -> bytes:
    """An image of ``fmt`` whose file carries ``SECRET`` as a comment (JPEG's COM marker, a GIF
    comment extension, a PNG text chunk, WebP's XMP chunk)."""
    buffer = io.BytesIO()
    image = Image.new("RGB", (40, 30), (10, 120, 200))
    if fmt == "PNG":
        info = PngInfo()
        info.add_text("Comment", SECRET.decode())
        image.save(buffer, "PNG", pnginfo=info)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", xmp=SECRET)
    elif fmt == "animated GIF":
        frames = [Image.new("RGB", (40, 30), colour) for colour in [(255, 0, 0), (0, 255, 0)]]
        frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, comment=SECRET)
    else:
        image.save(buffer, fmt, comment=SECRET)
    data = buffer.getvalue()
    assert SECRET in data
    return data


@pytest.mark.parametrize("fmt", ["JPEG", "GIF", "animated GIF", "PNG", "WEBP"])
def test_comments_are_dropped_from_the_stored_image_and_its_thumbnail(auth_client, settings, fmt):
    data = commented(fmt)
    response = post_file(auth_client, SimpleUploadedFile("a.img", data))
    assert response.status_code == 201, response.content
    body = response.json()
    for url in (body["url"], body["thumbnail_url"]):
        assert SECRET not in stored(settings, url).read_bytes()


def test_renamed_text_file_is_400(auth_client):
    response = post_file(
        auth_client, SimpleUploadedFile("cat.jpg", b"I am not a cat picture", content_type="image/jpeg")
    )
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Media.objects.exists()


def test_truncated_image_is_400(auth_client):
    data = image_bytes("JPEG", size=(300, 300))
    response = post_file(auth_client, SimpleUploadedFile("cut.jpg", data[: len(data) // 3], content_type="image/jpeg"))
    assert response.status_code == 400
    assert "file" in response.json()


def test_svg_and_bmp_are_400(auth_client):
    svg = SimpleUploadedFile("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', content_type="image/svg+xml")
    assert post_file(auth_client, svg).status_code == 400
    buffer = io.BytesIO()
    Image.new("RGB", (5, 5)).save(buffer, "BMP")
    assert post_file(auth_client, SimpleUploadedFile("x.bmp", buffer.getvalue())).status_code == 400


def test_decompression_bomb_is_400_without_decoding(auth_client):
    response = post_file(auth_client, SimpleUploadedFile("bomb.png", huge_png(50_000, 50_000)))
    assert response.status_code == 400
    assert "megapixels" in response.json()["file"][0]


def test_image_just_over_40_megapixels_is_400(auth_client):
    response = post_file(auth_client, SimpleUploadedFile("big.png", huge_png(8000, 5001)))
    assert response.status_code == 400


def test_too_large_file_is_413(auth_client, settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 100
    response = post_file(auth_client, upload(size=(300, 300), fmt="PNG"))
    assert response.status_code == 413
    assert "detail" in response.json()


def test_body_over_the_limit_is_refused_before_reading(auth_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 500
    response = post_file(auth_client, upload(size=(300, 300)))
    assert response.status_code == 413


def test_missing_file_is_400_and_json_is_415(auth_client):
    assert auth_client.post(MEDIA, {}, format="multipart").status_code == 400
    assert auth_client.post(MEDIA, {"file": "x"}, format="json").status_code == 415


def test_empty_file_is_400(auth_client):
    assert post_file(auth_client, SimpleUploadedFile("e.png", b"")).status_code == 400


def test_upload_requires_auth(api_client):
    assert post_file(api_client, upload()).status_code == 401


def test_uploaded_image_is_downloadable_at_its_url(auth_client, settings):
    settings.SERVE_MEDIA = True
    body = post_file(auth_client, upload(fmt="PNG")).json()
    response = auth_client.get(body["url"].replace("http://testserver", ""))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored(settings, body["url"]).read_bytes()


def test_media_files_are_not_served_by_django_when_off(auth_client, settings):
    body = post_file(auth_client, upload()).json()
    settings.SERVE_MEDIA = False
    assert auth_client.get(body["url"].replace("http://testserver", "")).status_code == 404


def test_metadata_visible_to_owner_and_once_attached(client_for, user, other_user):
    mine = client_for(user)
    media_id = post_file(mine, upload()).json()["id"]
    assert mine.get(f"{MEDIA}{media_id}/").status_code == 200
    theirs = client_for(other_user)
    assert theirs.get(f"{MEDIA}{media_id}/").status_code == 404
    mine.post("/api/posts/", {"content": "look", "media_ids": [media_id]}, format="json")
    assert theirs.get(f"{MEDIA}{media_id}/").json()["id"] == media_id


def test_unknown_media_is_404(auth_client):
    assert auth_client.get(f"{MEDIA}999/").status_code == 404


def test_post_with_media_in_order(auth_client):
    ids = [post_file(auth_client, upload(size=(10 + i, 10))).json()["id"] for i in range(4)]
    ordered = [ids[2], ids[0], ids[3], ids[1]]
    response = auth_client.post("/api/posts/", {"content": "gallery", "media_ids": ordered}, format="json")
    assert response.status_code == 201
    media = response.json()["media"]
    assert [m["id"] for m in media] == ordered
    assert set(media[0]) == {"id", "url", "thumbnail_url", "width", "height", "description", "focus_x", "focus_y"}
    assert media[0]["width"] == 12
    listed = auth_client.get("/api/posts/").json()["results"][0]["media"]
    assert [m["id"] for m in listed] == ordered


def test_fifth_attachment_is_400(auth_client):
    ids = [post_file(auth_client, upload()).json()["id"] for _ in range(5)]
    response = auth_client.post("/api/posts/", {"content": "too many", "media_ids": ids}, format="json")
    assert response.status_code == 400
    assert "media_ids" in response.json()
    assert not Post.objects.exists()


def test_someone_elses_media_id_is_400(client_for, user, other_user):
    theirs = post_file(client_for(other_user), upload()).json()["id"]
    response = client_for(user).post("/api/posts/", {"content": "steal", "media_ids": [theirs]}, format="json")
    assert response.status_code == 400
    assert "media_ids" in response.json()
    assert not Post.objects.exists()
    assert Media.objects.get(pk=theirs).post is None


def test_media_attached_elsewhere_or_repeated_is_400(auth_client):
    media_id = post_file(auth_client, upload()).json()["id"]
    assert (
        auth_client.post("/api/posts/", {"content": "one", "media_ids": [media_id]}, format="json").status_code == 201
    )
    again = auth_client.post("/api/posts/", {"content": "two", "media_ids": [media_id]}, format="json")
    assert again.status_code == 400
    other = post_file(auth_client, upload()).json()["id"]
    twice = auth_client.post("/api/posts/", {"content": "dup", "media_ids": [other, other]}, format="json")
    assert twice.status_code == 400
    assert Post.objects.count() == 1


def test_unknown_media_id_is_400(auth_client):
    response = auth_client.post("/api/posts/", {"content": "x", "media_ids": [424242]}, format="json")
    assert response.status_code == 400


def test_deleting_a_post_deletes_its_media_files(auth_client, settings, django_capture_on_commit_callbacks):
    body = post_file(auth_client, upload()).json()
    post = auth_client.post("/api/posts/", {"content": "bye", "media_ids": [body["id"]]}, format="json").json()
    files = [stored(settings, body["url"]), stored(settings, body["thumbnail_url"])]
    assert all(f.exists() for f in files)
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(f"/api/posts/{post['id']}/").status_code == 204
    assert not Media.objects.exists()
    assert not any(f.exists() for f in files)


def test_cleanup_task_removes_old_unattached_uploads(auth_client, settings, django_capture_on_commit_callbacks):
    old = post_file(auth_client, upload()).json()
    fresh = post_file(auth_client, upload()).json()
    attached = post_file(auth_client, upload()).json()
    auth_client.post("/api/posts/", {"content": "keep", "media_ids": [attached["id"]]}, format="json")
    Media.objects.filter(pk__in=[old["id"], attached["id"]]).update(created_at=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_unattached_media_task.delay().get() == 1
    assert set(Media.objects.values_list("pk", flat=True)) == {fresh["id"], attached["id"]}
    assert not stored(settings, old["url"]).exists() and not stored(settings, old["thumbnail_url"]).exists()
    assert stored(settings, fresh["url"]).exists() and stored(settings, attached["url"]).exists()


def test_cleanup_is_scheduled_with_celery_beat(settings):
    from mini_twitter.celery import app

    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "media.delete_unattached" in schedule
    assert "media.delete_unattached" in app.tasks


def test_post_list_with_media_runs_a_fixed_number_of_queries(client_for, django_assert_max_num_queries):
    author = client_for(UserFactory())
    viewer = client_for(UserFactory())

    def media_post():
        ids = [post_file(author, upload()).json()["id"] for _ in range(2)]
        author.post("/api/posts/", {"content": "pics", "media_ids": ids}, format="json")

    media_post()
    with django_assert_max_num_queries(6) as one:
        assert len(viewer.get("/api/posts/").json()["results"]) == 1
    queries_for_one = len(one.captured_queries)
    for _ in range(4):
        media_post()
    with django_assert_max_num_queries(queries_for_one):
        assert len(viewer.get("/api/posts/").json()["results"]) == 5


def test_s3_storage_backend(auth_client, settings):
    moto = pytest.importorskip("moto")
    import boto3
    from django.core.files.storage import storages

    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="mt-media")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": "mt-media", "region_name": "us-east-1", "querystring_auth": False},
            },
        }
        try:
            body = post_file(auth_client, upload(fmt="PNG")).json()
            assert body["url"].startswith("https://mt-media.s3.amazonaws.com/uploads/")
            key = body["url"].split(".com/", 1)[1]
            obj = boto3.client("s3", region_name="us-east-1").get_object(Bucket="mt-media", Key=key)
            assert Image.open(io.BytesIO(obj["Body"].read())).format == "PNG"
        finally:
            storages._storages.pop("default", None)
