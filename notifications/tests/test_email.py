"""The follow email: HTML and text, on the email queue, only when wanted, retried then given up."""

import logging
import smtplib
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail

from mini_twitter.celery import app
from notifications import tasks
from notifications.models import Notification
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow(client_for, django_capture_on_commit_callbacks):
    def run(follower, followee):
        with django_capture_on_commit_callbacks(execute=True):
            assert client_for(follower).post(f"/api/users/{followee.id}/follow/").status_code == 201

    return run


def test_a_new_follower_is_emailed_in_text_and_html(follow):
    alice = UserFactory(username="alice", email="alice@example.com")
    bob = UserFactory(username="bob", display_name="Bob B.")
    follow(bob, alice)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Bob B. (@bob) followed you on mini_twitter"
    assert "Bob B. (@bob) is now following you" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<strong>Bob B.</strong>" in html
    assert Notification.objects.get(recipient=alice).emailed_at is not None


def test_no_email_when_the_user_turned_them_off(follow, client_for):
    alice, bob = UserFactory(), UserFactory()
    response = client_for(alice).patch(
        "/api/users/profiles/update_my_profile/", {"email_notifications": False}, format="json"
    )
    assert response.json()["email_notifications"] is False
    follow(bob, alice)
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=alice, type="follow").count() == 1


def test_the_email_task_sends_once_however_often_it_runs(follow):
    alice, bob = UserFactory(), UserFactory()
    follow(bob, alice)
    notification = Notification.objects.get(recipient=alice)
    tasks.send_follow_email_task.delay(notification_id=notification.id)
    tasks.notify_follow_task.delay(follow_id=bob.following_set.get().id)
    assert len(mail.outbox) == 1


def test_the_email_task_of_a_vanished_notification_does_nothing():
    result = tasks.send_follow_email_task.delay(notification_id=999999)
    assert result.successful() and result.result is False
    assert mail.outbox == []


def test_the_email_task_goes_to_the_email_queue():
    route = app.amqp.router.route({}, tasks.send_follow_email_task.name)
    assert route["queue"].name == settings.CELERY_EMAIL_QUEUE
    assert app.amqp.router.route({}, tasks.notify_follow_task.name)["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE


def test_failing_smtp_is_retried_then_given_up_with_a_log_line_keeping_the_notification(follow, caplog):
    alice, bob = UserFactory(), UserFactory()
    error = smtplib.SMTPServerDisconnected("connection unexpectedly closed")
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error) as send,
        caplog.at_level(logging.WARNING, logger="notifications.tasks"),
    ):
        follow(bob, alice)
    assert send.call_count == tasks.EMAIL_MAX_RETRIES + 1
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == tasks.EMAIL_MAX_RETRIES
    [gave_up] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "giving up on the follow email" in gave_up.getMessage()
    notification = Notification.objects.get(recipient=alice, type="follow")
    assert notification.emailed_at is None


def test_a_send_that_recovers_is_delivered(follow):
    alice, bob = UserFactory(), UserFactory()
    real_send = mail.EmailMultiAlternatives.send
    attempts = []

    def flaky(message, *args, **kwargs):
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionRefusedError("smtp down")
        return real_send(message, *args, **kwargs)

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", flaky):
        follow(bob, alice)
    assert len(attempts) == 3
    assert len(mail.outbox) == 1


def test_a_line_break_in_a_stored_display_name_still_gets_a_one_line_subject(follow):
    alice, bob = UserFactory(), UserFactory(username="bob")
    # A name stored before line breaks were refused: it must not break (or inject) a header.
    bob.profile.__class__.objects.filter(pk=bob.pk).update(display_name="Bob\r\nBcc: victim@example.com")
    follow(bob, alice)
    [message] = mail.outbox
    assert message.subject == "Bob Bcc: victim@example.com (@bob) followed you on mini_twitter"
    assert message.message()["Bcc"] is None


def test_a_bad_header_is_logged_and_dropped_not_retried(follow, caplog):
    alice, bob = UserFactory(), UserFactory()
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=mail.BadHeaderError("newline")) as send,
        caplog.at_level(logging.WARNING, logger="notifications.tasks"),
    ):
        follow(bob, alice)
    assert send.call_count == 1
    [logged] = [r for r in caplog.records if r.name == "notifications.tasks"]
    assert logged.levelno == logging.ERROR and "not sent" in logged.getMessage()
    notification = Notification.objects.get(recipient=alice, type="follow")
    assert notification.emailed_at is None
