"""The real stack: a Celery worker on the Redis broker sends the reset email over SMTP, and
concurrent follows against PostgreSQL keep exact counters."""

import re

import pytest
from rest_framework.test import APIClient

from tests.support import SMTPSink, message_text, run_in_threads, wait_for
from users.models import Follow, Profile
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_password_reset_email_is_sent_by_a_live_worker(live_services):
    user = UserFactory(email="reset-me@example.com")
    client = APIClient()
    with SMTPSink() as sink, live_services.celery_worker(extra_env=sink.env):
        response = client.post("/api/users/password_reset/", {"email": "RESET-me@example.com"}, format="json")
        assert response.status_code == 202
        wait_for(lambda: sink.messages, timeout=30)
    message = sink.messages[0]
    assert message["To"] == "reset-me@example.com"
    assert message.is_multipart()
    code = re.search(r"\b(\d{6})\b", message_text(message)).group(1)
    confirm = client.post(
        "/api/users/password_reset/confirm/",
        {"email": user.email, "code": code, "new_password": "changed-by-the-worker-path"},
        format="json",
    )
    assert confirm.status_code == 200
    user.refresh_from_db()
    assert user.check_password("changed-by-the-worker-path")


def test_concurrent_follows_keep_exact_counters(live_services):
    star = UserFactory()
    fans = UserFactory.create_batch(8)

    def follow_twice(i: int) -> None:
        client = APIClient()
        client.force_authenticate(fans[i])
        for _ in range(2):
            assert client.post(f"/api/users/{star.id}/follow/").status_code in (200, 201)

    run_in_threads(len(fans), follow_twice)
    assert Follow.objects.filter(followee=star).count() == 8
    assert Profile.objects.get(pk=star.pk).followers_count == 8

    def unfollow(i: int) -> None:
        client = APIClient()
        client.force_authenticate(fans[i % 4])
        assert client.post(f"/api/users/{star.id}/unfollow/").status_code == 200

    run_in_threads(8, unfollow)  # two racing unfollows per fan for four fans
    assert Follow.objects.filter(followee=star).count() == 4
    assert Profile.objects.get(pk=star.pk).followers_count == 4
    assert [Profile.objects.get(pk=f.pk).following_count for f in fans] == [0] * 4 + [1] * 4


def test_same_follow_raced_from_many_threads_is_created_once(live_services):
    star, fan = UserFactory(), UserFactory()
    statuses: list[int] = []

    def follow(_: int) -> None:
        client = APIClient()
        client.force_authenticate(fan)
        statuses.append(client.post(f"/api/users/{star.id}/follow/").status_code)

    run_in_threads(6, follow)
    assert sorted(statuses) == [200] * 5 + [201]
    assert Profile.objects.get(pk=star.pk).followers_count == 1
    assert Profile.objects.get(pk=fan.pk).following_count == 1
