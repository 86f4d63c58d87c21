"""Profiles: public reads, my profile and its update, avatar uploads."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from media.tests.images import gps_exif, image_bytes, upload
from users.models import Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MY = "/api/users/profiles/my_profile/"
UPDATE = "/api/users/profiles/update_my_profile/"
PUBLIC_FIELDS = {
    "id",
    "username",
    "display_name",
    "bio",
    "location",
    "website",
    "avatar",
    "followers_count",
    "following_count",
    "posts_count",
    "is_protected",
    "updated_at",
}


def test_profile_list_and_detail_are_public(api_client, user):
    listing = api_client.get("/api/users/profiles/")
    assert listing.status_code == 200
    assert [p["id"] for p in listing.json()["results"]] == [user.id]
    detail = api_client.get(f"/api/users/profiles/{user.id}/")
    assert detail.status_code == 200
    assert set(detail.json()) == PUBLIC_FIELDS
    assert detail.json()["username"] == user.username


def test_profile_unknown_is_404(api_client):
    assert api_client.get("/api/users/profiles/987654/").status_code == 404


def test_profile_list_query_count_does_not_grow(api_client, django_assert_max_num_queries):
    UserFactory()
    with django_assert_max_num_queries(2):
        assert len(api_client.get("/api/users/profiles/").json()["results"]) == 1
    UserFactory.create_batch(19)
    with django_assert_max_num_queries(2):
        assert len(api_client.get("/api/users/profiles/").json()["results"]) == 20


def test_my_profile_requires_auth(api_client):
    assert api_client.get(MY).status_code == 401
    assert api_client.patch(UPDATE, {"bio": "x"}, format="json").status_code == 401


def test_my_profile_includes_settings(auth_client, user):
    body = auth_client.get(MY).json()
    assert set(body) == PUBLIC_FIELDS | {"email_notifications", "allow_messages_from"}
    assert body["id"] == user.id
    assert body["email_notifications"] is True
    assert body["allow_messages_from"] == "everyone"


def test_patch_profile_updates_given_fields_only(auth_client, user):
    response = auth_client.patch(
        UPDATE,
        {"display_name": "Neo", "bio": "Follow the white rabbit.", "website": "https://example.org"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Neo"
    profile = Profile.objects.get(pk=user.pk)
    assert (profile.display_name, profile.bio, profile.website) == (
        "Neo",
        "Follow the white rabbit.",
        "https://example.org",
    )
    auth_client.patch(UPDATE, {"location": "Zion"}, format="json")
    profile.refresh_from_db()
    assert profile.display_name == "Neo" and profile.location == "Zion"


def test_put_profile(auth_client, user):
    response = auth_client.put(
        UPDATE, {"display_name": "Trinity", "bio": "", "email_notifications": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["email_notifications"] is False


def test_profile_update_does_not_overwrite_counters(auth_client, user, other_user):
    # A stale in-memory profile must not write back old counter values.
    Profile.objects.filter(pk=user.pk).update(followers_count=7)
    auth_client.patch(UPDATE, {"bio": "hello"}, format="json")
    assert Profile.objects.get(pk=user.pk).followers_count == 7


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bio", "x" * 161),
        ("display_name", "y" * 51),
        ("website", "not a url"),
        ("allow_messages_from", "nobody"),
        ("bio", "nul\x00byte"),
    ],
)
def test_profile_invalid_fields_are_400(auth_client, user, field, value):
    response = auth_client.patch(UPDATE, {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Profile.objects.get(pk=user.pk).bio == ""


def test_bio_of_160_characters_is_accepted(auth_client):
    bio = "é" * 160
    response = auth_client.patch(UPDATE, {"bio": bio}, format="json")
    assert response.status_code == 200
    assert response.json()["bio"] == bio


def test_avatar_upload_stores_reencoded_image_under_server_name(auth_client, user, settings):
    exif = gps_exif()
    file = SimpleUploadedFile("../../etc/evil.php.png", image_bytes("JPEG", exif=exif), content_type="text/plain")
    response = auth_client.patch(UPDATE, {"avatar": file}, format="multipart")
    assert response.status_code == 200, response.content
    url = response.json()["avatar"]
    assert url.startswith("http://testserver/media/avatars/") and url.endswith(".jpg")
    assert "evil" not in url
    profile = Profile.objects.get(pk=user.pk)
    stored = Path(settings.MEDIA_ROOT) / profile.avatar.name
    image = Image.open(stored)
    assert image.format == "JPEG"
    assert image.size == (40, 30)
    assert len(image.getexif()) == 0


def test_avatar_orientation_is_applied(auth_client, user, settings):
    file = SimpleUploadedFile("a.jpg", image_bytes("JPEG", size=(40, 30), exif=gps_exif(orientation=6)))
    assert auth_client.patch(UPDATE, {"avatar": file}, format="multipart").status_code == 200
    stored = Path(settings.MEDIA_ROOT) / Profile.objects.get(pk=user.pk).avatar.name
    assert Image.open(stored).size == (30, 40)


def test_text_file_as_avatar_is_400(auth_client, user):
    file = SimpleUploadedFile("avatar.png", b"just some text, not an image", content_type="image/png")
    response = auth_client.patch(UPDATE, {"avatar": file}, format="multipart")
    assert response.status_code == 400
    assert "avatar" in response.json()
    assert not Profile.objects.get(pk=user.pk).avatar


def test_truncated_image_as_avatar_is_400(auth_client, user):
    data = image_bytes("PNG", size=(200, 200))
    file = SimpleUploadedFile("cut.png", data[: len(data) // 2], content_type="image/png")
    response = auth_client.patch(UPDATE, {"avatar": file}, format="multipart")
    assert response.status_code == 400
    assert "avatar" in response.json()


def test_unsupported_image_format_is_400(auth_client):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "BMP")
    file = SimpleUploadedFile("a.bmp", buffer.getvalue(), content_type="image/bmp")
    response = auth_client.patch(UPDATE, {"avatar": file}, format="multipart")
    assert response.status_code == 400
    assert "avatar" in response.json()


def test_avatar_over_the_pixel_limit_is_400(auth_client, settings):
    settings.MEDIA_MAX_PIXELS = 1000
    response = auth_client.patch(UPDATE, {"avatar": upload(size=(100, 100))}, format="multipart")
    assert response.status_code == 400
    assert "megapixels" in response.json()["avatar"][0]


def test_avatar_over_the_size_limit_is_413(auth_client, settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 100
    response = auth_client.patch(UPDATE, {"avatar": upload(size=(100, 100))}, format="multipart")
    assert response.status_code == 413
    assert "detail" in response.json()


def test_replacing_and_removing_the_avatar_deletes_old_files(
    auth_client, user, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.patch(UPDATE, {"avatar": upload()}, format="multipart")
    first = Path(settings.MEDIA_ROOT) / Profile.objects.get(pk=user.pk).avatar.name
    assert first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.patch(UPDATE, {"avatar": upload(color=(0, 0, 255))}, format="multipart")
    second = Path(settings.MEDIA_ROOT) / Profile.objects.get(pk=user.pk).avatar.name
    assert second.exists() and not first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(UPDATE, {"avatar": None}, format="json")
    assert response.status_code == 200
    assert response.json()["avatar"] is None
    assert not second.exists()


def test_request_body_over_the_limit_is_413(auth_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    response = auth_client.patch(UPDATE, {"bio": "x" * 150, "avatar": upload(size=(300, 300))}, format="multipart")
    assert response.status_code == 413


def test_the_admin_forms_refuse_line_breaks_in_names(user):
    from django.core.exceptions import ValidationError

    profile = user.profile
    profile.display_name = "Eve\r\nBcc: victim@example.com"
    with pytest.raises(ValidationError) as raised:
        profile.full_clean()  # what the admin's profile inline runs
    assert "display_name" in raised.value.message_dict
