"""Staff see the tasks the outbox still owes, and can neither add nor change them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from outbox.models import OutboxTask
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def owed(name: str, **fields) -> OutboxTask:
    return OutboxTask.objects.create(
        name=name, kwargs={"post_id": 1}, due_at=timezone.now() + timedelta(minutes=5), **fields
    )


def test_staff_list_the_owed_tasks_filtered_by_name_with_flat_queries(client, django_assert_max_num_queries):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    owed("notifications.notify_like")
    with django_assert_max_num_queries(12) as one:
        assert client.get("/admin/outbox/outboxtask/").status_code == 200
    for i in range(20):
        owed("posts.timeline_push", worker=f"w{i}@host", attempts=i)
    with django_assert_max_num_queries(len(one.captured_queries)):
        listed = client.get("/admin/outbox/outboxtask/")
    assert listed.context["cl"].result_count == 21
    filtered = client.get("/admin/outbox/outboxtask/", {"name": "notifications.notify_like"})
    assert filtered.context["cl"].result_count == 1


def test_owed_tasks_are_read_only_in_the_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    row = owed("notifications.notify_like")
    assert client.get("/admin/outbox/outboxtask/add/").status_code == 403
    page = client.get(f"/admin/outbox/outboxtask/{row.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    client.post(f"/admin/outbox/outboxtask/{row.pk}/change/", {"name": "other", "attempts": 9})
    row.refresh_from_db()
    assert (row.name, row.attempts) == ("notifications.notify_like", 0)


def test_anyone_else_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())
    response = client.get("/admin/outbox/outboxtask/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
