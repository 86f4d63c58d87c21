"""The media API: uploads with alt text and focal point, reading and describing my unattached
uploads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from media import services as media_services
from media.models import Media
from media.tests.images import upload
from posts import services as post_services

pytestmark = pytest.mark.django_db

ATTACHMENT_KEYS = {
    "id", "type", "url", "preview_url", "remote_url", "preview_remote_url", "text_url", "meta", "description",
    "blurhash",
}  # fmt: skip


@pytest.mark.parametrize("path", ["/api/v1/media", "/api/v2/media"])
def test_upload_with_description_and_focus(mastodon_client, user, path):
    response = mastodon_client(user, "write:media").post(
        path, {"file": upload(size=(640, 320)), "description": "a red bar", "focus": "-0.5,0.25"}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == ATTACHMENT_KEYS
    media = Media.objects.get()
    assert (body["id"], body["type"], body["description"]) == (str(media.pk), "image", "a red bar")
    assert body["url"].startswith("http://testserver/media/") and "_thumb" in body["preview_url"]
    assert body["meta"] == {
        "original": {"width": 640, "height": 320, "size": "640x320", "aspect": 2.0},
        "small": {"width": 320, "height": 160, "size": "320x160", "aspect": 2.0},
        "focus": {"x": -0.5, "y": 0.25},
    }
    assert (body["remote_url"], body["blurhash"]) == (None, None)
    assert (media.owner, media.focus_x, media.focus_y) == (user, -0.5, 0.25)


@pytest.mark.parametrize(
    "data",
    [
        {"file": SimpleUploadedFile("x.png", b"not an image", content_type="image/png")},
        {"description": "no file"},
        {"file": "upload", "focus": "2,0"},
        {"file": "upload", "focus": "left"},
        {"file": "upload", "description": "d" * 1501},
    ],
)
def test_bad_uploads_are_422(mastodon_client, user, data):
    data = {key: upload() if value == "upload" else value for key, value in data.items()}
    response = mastodon_client(user).post("/api/v1/media", data, format="multipart")
    assert response.status_code == 422, response.content
    assert response.json()["error"].startswith("Validation failed")
    assert not Media.objects.exists()


def test_too_large_upload_is_413(mastodon_client, user, settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 100
    response = mastodon_client(user).post("/api/v2/media", {"file": upload()}, format="multipart")
    assert response.status_code == 413 and "error" in response.json()


def test_upload_needs_a_user_and_the_scope(mastodon_client, api_client, user):
    assert api_client.post("/api/v1/media", {"file": upload()}, format="multipart").status_code == 401
    assert (
        mastodon_client(user, "read").post("/api/v1/media", {"file": upload()}, format="multipart").status_code == 403
    )
    assert mastodon_client(user, "write:statuses").get("/api/v1/media/1").status_code == 403


def test_get_and_update_my_unattached_upload(mastodon_client, user, other_user):
    media = media_services.media_create(owner=user, upload=upload())
    client = mastodon_client(user)
    assert client.get(f"/api/v1/media/{media.pk}").json()["description"] is None
    body = client.put(f"/api/v1/media/{media.pk}", {"description": "alt", "focus": "0.1,-0.2"}, format="json").json()
    assert (body["description"], body["meta"]["focus"]) == ("alt", {"x": 0.1, "y": -0.2})
    body = client.put(f"/api/v1/media/{media.pk}", {"description": ""}, format="multipart").json()
    assert body["description"] is None and body["meta"]["focus"] == {"x": 0.1, "y": -0.2}
    assert client.put(f"/api/v1/media/{media.pk}", {"focus": "0,5"}, format="json").status_code == 422
    # Someone else's upload, or one attached to a status, is not found (as in Mastodon).
    assert mastodon_client(other_user).get(f"/api/v1/media/{media.pk}").status_code == 404
    assert mastodon_client(other_user).put(f"/api/v1/media/{media.pk}", {"description": "x"}).status_code == 404
    post_services.post_create(author=user, content="pic", media_ids=[media.pk])
    assert client.get(f"/api/v1/media/{media.pk}").status_code == 404
    assert client.put(f"/api/v1/media/{media.pk}", {"description": "x"}).status_code == 404
    assert client.get("/api/v1/media/999999").json() == {"error": "Record not found"}
