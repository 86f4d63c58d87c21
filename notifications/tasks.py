"""Celery tasks of notifications: the follow notification and its email. Thin and idempotent: the
work (and the dedupe) is in ``services`` and ``emails``. The features' own notify tasks (likes,
retweets, replies, mentions in ``posts.tasks``; messages in ``messaging.tasks``) share
``NOTIFY_OPTIONS``."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.core.mail import BadHeaderError
from django.db import InterfaceError, OperationalError

from outbox.services import enqueue_on_commit

from . import services
from .emails import follow_email_due, follow_email_send

logger = logging.getLogger(__name__)

# A database that restarts or drops the connection: worth another try. Anything else is a bug.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
# smtplib's errors are OSErrors, as are refused connections and socket timeouts.
TRANSIENT_MAIL_ERRORS = (OSError, SoftTimeLimitExceeded)

NOTIFY_OPTIONS = {
    "autoretry_for": TRANSIENT_DB_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "max_retries": 5,
    "soft_time_limit": 30,
    "time_limit": 45,
}
EMAIL_MAX_RETRIES = 5
EMAIL_BACKOFF_MAX = 120


@shared_task(name="notifications.notify_follow", **NOTIFY_OPTIONS)
def notify_follow_task(*, follow_id: int) -> None:
    """A new follow: the followee's notification, and its email when they want it."""
    notification = services.notification_create_for_follow(follow_id=follow_id)
    if notification is not None and follow_email_due(notification):
        enqueue_on_commit(send_follow_email_task, notification_id=notification.pk)


@shared_task(name="notifications.notify_follow_request", **NOTIFY_OPTIONS)
def notify_follow_request_task(*, actor_id: int, recipient_id: int) -> None:
    """A request to follow the recipient's protected account."""
    services.notification_create_follow_request(actor_id=actor_id, recipient_id=recipient_id)


# The name matches the ``*.send_*_email*`` route: it runs on the email queue.
@shared_task(
    bind=True,
    name="notifications.send_follow_email",
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=True,
    retry_backoff_max=EMAIL_BACKOFF_MAX,
    max_retries=EMAIL_MAX_RETRIES,
    soft_time_limit=30,
    time_limit=45,
)
def send_follow_email_task(self, *, notification_id: int) -> bool:
    try:
        return follow_email_send(notification_id=notification_id)
    except BadHeaderError:
        # A header the mail library refuses (a line break in it) fails the same way every time:
        # logged and dropped, never retried. The notification itself is stored.
        logger.error("follow email for notification %s not sent: a header has a line break", notification_id)
        return False
    except TRANSIENT_MAIL_ERRORS as exc:
        if self.request.retries >= EMAIL_MAX_RETRIES:
            # The notification itself is stored; only its email is lost.
            logger.error(
                "giving up on the follow email for notification %s after %s attempts: %r",
                notification_id,
                self.request.retries + 1,
                exc,
            )
            return False
        countdown = get_exponential_backoff_interval(
            factor=2, retries=self.request.retries, maximum=EMAIL_BACKOFF_MAX, full_jitter=True
        )
        logger.warning(
            "follow email for notification %s failed (%r), retrying in %s s", notification_id, exc, countdown
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
