"""Dismissing notifications: one, or all of a user's; the recipient's unread count follows."""

import pytest

from notifications import push, services
from notifications.models import Notification
from notifications.selectors import notification_unread_count
from notifications.tests.factories import NotificationFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(monkeypatch):
    """The user ids whose unread counts were pushed."""
    calls: list[int] = []
    monkeypatch.setattr(push, "push", lambda user_ids, type_, data: calls.extend(user_ids))
    return calls


def test_dismissing_deletes_the_notification_and_pushes_the_new_unread_count(
    user, pushed, django_capture_on_commit_callbacks
):
    dismissed, kept = NotificationFactory(recipient=user), NotificationFactory(recipient=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_delete(notification=dismissed)
    assert list(Notification.objects.filter(recipient=user)) == [kept]
    assert notification_unread_count(user_id=user.pk) == 1
    assert pushed == [user.pk]


def test_dismissing_a_read_notification_pushes_nothing(user, pushed, django_capture_on_commit_callbacks):
    notification = NotificationFactory(recipient=user, is_read=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_delete(notification=notification)
        services.notification_delete(notification=notification)  # again: nothing left to delete
    assert not Notification.objects.exists()
    assert pushed == []


def test_clearing_deletes_all_my_notifications_and_no_one_elses(user, pushed, django_capture_on_commit_callbacks):
    NotificationFactory(recipient=user)
    NotificationFactory(recipient=user, is_read=True)
    other = NotificationFactory(recipient=UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notifications_delete_all(user=user) == 2
    assert list(Notification.objects.all()) == [other]
    assert pushed == [user.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notifications_delete_all(user=user) == 0
    assert pushed == [user.pk]


def test_clearing_some_types_keeps_the_others(user, pushed, django_capture_on_commit_callbacks):
    like = NotificationFactory(recipient=user)
    follow = NotificationFactory(recipient=user, type=Notification.Type.FOLLOW, post=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notifications_delete_all(user=user, types=[Notification.Type.LIKE]) == 1
    assert list(Notification.objects.all()) == [follow]
    assert like.pk not in Notification.objects.values_list("pk", flat=True)
