"""The authorization matrix: every endpoint that reads private data or writes refuses an anonymous
client and a second user as the contract says, and no answer to them carries the owner's email,
messages or unread counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from media.tests.images import image_bytes
from notifications.models import Notification
from users.services import api_key_create
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "the owner's private message 7f3a"


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    owner = UserFactory(username="owner", email="owner-private@example.com")
    friend = UserFactory(username="friend")
    stranger = UserFactory(username="stranger")
    as_owner, as_friend = APIClient(), APIClient()
    as_owner.force_authenticate(owner)
    as_friend.force_authenticate(friend)
    with django_capture_on_commit_callbacks(execute=True):
        post = as_owner.post("/api/posts/", {"content": "owner's post"}, format="json").json()
        media = as_owner.post(
            "/api/media/", {"file": SimpleUploadedFile("a.png", image_bytes())}, format="multipart"
        ).json()
        as_friend.post(f"/api/users/{owner.id}/follow/")
        conversation = as_owner.post("/api/messages/", {"participant_ids": [friend.id]}, format="json").json()
        as_friend.post(f"/api/messages/{conversation['id']}/send_message/", {"content": SECRET}, format="json")
        room = as_owner.post("/api/rooms/", {"title": "owner's room"}, format="json").json()
    notification = Notification.objects.filter(recipient=owner).first()
    api_key, _ = api_key_create(user=owner, name="owner's key")
    stranger_client = APIClient()
    stranger_client.force_authenticate(stranger)
    return {
        "owner": owner,
        "stranger": stranger_client,
        "anonymous": APIClient(),
        "ids": {
            "post": post["id"],
            "media": media["id"],
            "conversation": conversation["id"],
            "notification": notification.id,
            "api_key": api_key.id,
            "room": room["id"],
            "friend": friend.id,
        },
    }


# (method, path, body, status for an anonymous client, status for a second user)
MATRIX = [
    ("get", "/api/users/me/", None, 401, 200),
    ("patch", "/api/users/profiles/update_my_profile/", {"bio": "x"}, 401, 200),
    ("get", "/api/users/profiles/my_profile/", None, 401, 200),
    ("get", "/api/users/api_keys/", None, 401, 200),
    ("post", "/api/users/api_keys/", {"name": "k"}, 401, 201),
    ("delete", "/api/users/api_keys/{api_key}/", None, 401, 404),
    ("post", "/api/users/{friend}/follow/", None, 401, 201),
    ("post", "/api/users/{friend}/unfollow/", None, 401, 200),
    ("post", "/api/posts/", {"content": "x"}, 401, 201),
    ("patch", "/api/posts/{post}/", {"content": "hijack"}, 401, 403),
    ("put", "/api/posts/{post}/", {"content": "hijack"}, 401, 403),
    ("delete", "/api/posts/{post}/", None, 401, 403),
    ("post", "/api/posts/{post}/like/", None, 401, 200),
    ("post", "/api/posts/{post}/unlike/", None, 401, 200),
    ("post", "/api/posts/{post}/retweet/", None, 401, 200),
    ("post", "/api/posts/{post}/unretweet/", None, 401, 200),
    ("get", "/api/posts/feed/", None, 401, 200),
    ("post", "/api/media/", None, 401, 400),
    ("get", "/api/media/{media}/", None, 401, 404),
    ("get", "/api/notifications/", None, 401, 200),
    ("get", "/api/notifications/unread_count/", None, 401, 200),
    ("post", "/api/notifications/{notification}/mark_as_read/", None, 401, 404),
    ("post", "/api/notifications/mark_all_as_read/", None, 401, 200),
    ("get", "/api/messages/", None, 401, 200),
    ("post", "/api/messages/", {"participant_ids": ["{friend}"]}, 401, 201),
    ("get", "/api/messages/unread_count/", None, 401, 200),
    ("get", "/api/messages/{conversation}/", None, 401, 404),
    ("get", "/api/messages/{conversation}/messages/", None, 401, 404),
    ("post", "/api/messages/{conversation}/send_message/", {"content": "let me in"}, 401, 404),
    ("post", "/api/messages/{conversation}/leave/", None, 401, 404),
    ("get", "/api/rooms/", None, 401, 200),
    ("post", "/api/rooms/", {"title": "t"}, 401, 201),
    ("post", "/api/rooms/{room}/end/", None, 401, 403),
    ("post", "/api/rooms/{room}/speakers/{friend}/", None, 401, 403),
    ("delete", "/api/rooms/{room}/speakers/{friend}/", None, 401, 403),
]


def fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [int(fill(v, ids)) if isinstance(v, str) else v for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "anonymous", "stranger"), MATRIX)
def test_anonymous_and_second_user_are_refused_and_see_nothing_private(world, method, path, body, anonymous, stranger):
    url, data = fill(path, world["ids"]), fill(body, world["ids"])
    for who, expected in (("anonymous", anonymous), ("stranger", stranger)):
        response = getattr(world[who], method)(url, data, format="json")
        assert response.status_code == expected, (who, method, url, response.content)
        content = response.content.decode()
        assert world["owner"].email not in content, (who, url)
        assert SECRET not in content, (who, url)


def test_second_users_unread_counts_are_their_own(world):
    stranger = world["stranger"]
    assert stranger.get("/api/notifications/unread_count/").json() == {"unread_count": 0}
    assert stranger.get("/api/messages/unread_count/").json() == {"unread_count": 0}
    assert stranger.get("/api/notifications/").json()["results"] == []
    assert stranger.get("/api/messages/").json()["results"] == []
    assert stranger.post("/api/notifications/mark_all_as_read/").json() == {"marked": 0}
    assert Notification.objects.filter(recipient=world["owner"], is_read=False).exists()


def test_public_reads_show_no_private_fields(world):
    anonymous = world["anonymous"]
    for url in ("/api/users/", f"/api/users/{world['owner'].id}/", "/api/users/profiles/", "/api/posts/"):
        response = anonymous.get(url)
        assert response.status_code == 200
        assert world["owner"].email not in response.content.decode()
