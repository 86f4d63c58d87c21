"""Alt text (``description``) and focal point of uploads: set on upload or by PATCH, shown with the
upload and with the posts it is attached to."""

import pytest

from media.models import Media
from media.tests.images import upload
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

MEDIA = "/api/media/"


def post_file(client, **fields):
    return client.post(MEDIA, {"file": upload(), **fields}, format="multipart")


def test_upload_with_alt_text_and_focus(auth_client):
    response = post_file(auth_client, description="  A cat on a mat ", focus_x="0.5", focus_y="-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["description"], body["focus_x"], body["focus_y"]) == ("A cat on a mat", 0.5, -1.0)
    plain = post_file(auth_client).json()
    assert (plain["description"], plain["focus_x"], plain["focus_y"]) == ("", None, None)


@pytest.mark.parametrize(
    "fields",
    [{"description": "x" * 1501}, {"description": "a\x00b"}, {"focus_x": "1.5"}, {"focus_y": "nan"}],
)
def test_bad_alt_text_or_focus_on_upload_is_400(auth_client, fields):
    response = post_file(auth_client, **fields)
    assert response.status_code == 400
    assert set(response.json()) == set(fields)
    assert not Media.objects.exists()


def test_alt_text_of_1500_characters_is_fine(auth_client):
    assert post_file(auth_client, description="é" * 1500).status_code == 201


def test_patch_sets_alt_text_and_focus_of_own_upload(auth_client):
    media_id = post_file(auth_client, description="old", focus_x="0.1").json()["id"]
    response = auth_client.patch(f"{MEDIA}{media_id}/", {"description": "new"}, format="json")
    assert response.status_code == 200
    assert (response.json()["description"], response.json()["focus_x"]) == ("new", 0.1)
    response = auth_client.patch(f"{MEDIA}{media_id}/", {"focus_x": None, "focus_y": 0.25}, format="json")
    assert response.status_code == 200
    assert (response.json()["focus_x"], response.json()["focus_y"]) == (None, 0.25)
    # A form's empty value is null too.
    response = auth_client.patch(f"{MEDIA}{media_id}/", {"focus_x": "0.5", "focus_y": ""}, format="multipart")
    assert response.status_code == 200
    assert (response.json()["focus_x"], response.json()["focus_y"]) == (0.5, None)
    assert Media.objects.get(pk=media_id).description == "new"


def test_patch_errors(auth_client, api_client, client_for, other_user):
    media_id = post_file(auth_client).json()["id"]
    url = f"{MEDIA}{media_id}/"
    assert auth_client.patch(url, {"description": "x" * 1501}, format="json").status_code == 400
    assert auth_client.patch(url, {"focus_y": -2}, format="json").status_code == 400
    assert api_client.patch(url, {"description": "x"}, format="json").status_code == 401
    # Someone else's upload: unseen while unattached (404), not theirs to change once on a post (403).
    assert client_for(other_user).patch(url, {"description": "x"}, format="json").status_code == 404
    Media.objects.filter(pk=media_id).update(post=PostFactory(author=auth_client.user))
    assert client_for(other_user).patch(url, {"description": "x"}, format="json").status_code == 403
    assert auth_client.patch(f"{MEDIA}999999/", {"description": "x"}, format="json").status_code == 404
    assert auth_client.put(url, {"description": "x"}, format="json").status_code == 405
    assert Media.objects.get(pk=media_id).description == ""


def test_uploads_stay_multipart_only(auth_client):
    assert auth_client.post(MEDIA, {"description": "x"}, format="json").status_code == 415


def test_a_posts_images_show_their_alt_text_in_lists_and_the_feed(
    auth_client, client_for, other_user, django_capture_on_commit_callbacks
):
    media_id = post_file(auth_client, description="a cat").json()["id"]
    post_id = auth_client.post("/api/posts/", {"content": "look", "media_ids": [media_id]}, format="json").json()["id"]
    reader = client_for(other_user)
    reader.post(f"/api/users/{auth_client.user.id}/follow/")

    def shown() -> set[str]:
        feed = reader.get("/api/posts/feed/").json()["results"][0]["media"][0]
        detail = reader.get(f"/api/posts/{post_id}/").json()["media"][0]
        listed = reader.get("/api/posts/").json()["results"][0]["media"][0]
        return {(item["description"], item["focus_x"]) for item in (feed, detail, listed)}

    assert shown() == {("a cat", None)}  # the feed's representation is cached now
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.patch(f"{MEDIA}{media_id}/", {"description": "a black cat", "focus_x": 0.5}, format="json")
    assert shown() == {("a black cat", 0.5)}
