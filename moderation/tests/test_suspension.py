"""Suspension takes effect at once everywhere and is fully undone by unsuspending."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from moderation.models import AuditLogEntry
from moderation.services import user_suspend, user_unsuspend
from posts.tests.factories import PostFactory
from tests.support.sockets import closed_with, open_socket, receive_type
from users.services import api_key_create
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/users/token/"
REFRESH = "/api/users/token/refresh/"


def login(user) -> dict:
    response = APIClient().post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def keyed(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_API_KEY=key)
    return client


def test_suspension_is_immediate_everywhere_and_unsuspending_restores_it(
    django_capture_on_commit_callbacks, client_for
):
    staff, spammer, reader = UserFactory(is_staff=True), UserFactory(), UserFactory()
    post = PostFactory(author=spammer, content="buy cheap zyxwv now")
    client_for(reader).post(f"/api/users/{spammer.pk}/follow/")
    session = login(spammer)
    _, key = api_key_create(user=spammer, name="bot")
    viewer = client_for(reader)
    assert bearer(session["access"]).get("/api/users/me/").status_code == 200
    assert keyed(key).get("/api/users/me").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert user_suspend(user=spammer, by=staff, note="spam") is True
    assert user_suspend(user=spammer, by=staff) is False  # already suspended: no second entry

    # No tokens, no access, no refresh, no api key.
    assert APIClient().post(TOKEN, {"username": spammer.username, "password": PASSWORD}).status_code == 401
    assert bearer(session["access"]).get("/api/users/me/").status_code == 401
    assert APIClient().post(REFRESH, {"refresh": session["refresh"]}, format="json").status_code == 401
    assert keyed(key).get("/api/users/me").status_code == 401
    assert keyed(key).get("/api/tweets").status_code == 401
    # Gone for everyone else.
    assert viewer.get(f"/api/users/{spammer.pk}/").status_code == 404
    assert viewer.get(f"/api/users/profiles/{spammer.pk}/").status_code == 404
    assert viewer.get(f"/api/posts/{post.pk}/").status_code == 404
    assert post.pk not in [p["id"] for p in viewer.get("/api/posts/").json()["results"]]
    assert viewer.get("/api/search/", {"q": "zyxwv"}).json()["results"] == []
    assert viewer.get("/api/posts/feed/").json()["results"] == []
    assert spammer.pk not in [u["id"] for u in viewer.get(f"/api/users/{reader.pk}/following/").json()["results"]]
    assert [e.action for e in AuditLogEntry.objects.all()] == ["user_suspended"]

    with django_capture_on_commit_callbacks(execute=True):
        assert user_unsuspend(user=spammer, by=staff, note="appeal granted") is True

    assert viewer.get(f"/api/users/{spammer.pk}/").status_code == 200
    assert viewer.get(f"/api/posts/{post.pk}/").status_code == 200
    assert [p["id"] for p in viewer.get("/api/search/", {"q": "zyxwv"}).json()["results"]] == [post.pk]
    assert [p["id"] for p in viewer.get("/api/posts/feed/").json()["results"]] == [post.pk]
    assert keyed(key).get("/api/users/me").status_code == 200  # its api keys work again
    assert APIClient().post(REFRESH, {"refresh": session["refresh"]}, format="json").status_code == 401
    assert APIClient().post(TOKEN, {"username": spammer.username, "password": PASSWORD}).status_code == 200
    assert [e.action for e in AuditLogEntry.objects.order_by("id")] == ["user_suspended", "user_unsuspended"]
    entry = AuditLogEntry.objects.order_by("id").last()
    assert (entry.actor, entry.actor_username, entry.target_user, entry.note) == (
        staff,
        staff.username,
        spammer,
        "appeal granted",
    )


def test_staff_cannot_suspend_themselves():
    staff = UserFactory(is_staff=True)
    with pytest.raises(ValidationError):
        user_suspend(user=staff, by=staff)
    staff.refresh_from_db()
    assert staff.is_active and not AuditLogEntry.objects.exists()


def test_unsuspending_an_active_user_changes_nothing():
    staff, user = UserFactory(is_staff=True), UserFactory()
    assert user_unsuspend(user=user, by=staff) is False
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_suspension_closes_the_users_open_sockets():
    staff, user, bystander = UserFactory(is_staff=True), UserFactory(), UserFactory()

    async def scenario():
        socket = await open_socket("/ws/events/", user)
        other = await open_socket("/ws/events/", bystander)
        for s in (socket, other):
            await receive_type(s, "unread_count")
        await sync_to_async(user_suspend)(user=user, by=staff, note="abuse")
        assert await closed_with(socket) == 4001
        assert await other.receive_nothing(timeout=0.3)
        await other.disconnect()

    async_to_sync(scenario)()
