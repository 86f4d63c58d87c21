"""The follow notification's email (text and HTML), sent once per notification."""

import logging

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from mini_twitter.api.text import one_line
from users.models import User

from .models import Notification

logger = logging.getLogger(__name__)


def email_wanted(user: User) -> bool:
    return user.is_active and bool(user.email) and user.profile.email_notifications


def follow_email_due(notification: Notification) -> bool:
    """Whether a follow notification (with ``recipient__profile`` loaded) still has an email to send."""
    return notification.emailed_at is None and email_wanted(notification.recipient)


def follow_email_send(*, notification_id: int) -> bool:
    """Email the recipient of a follow notification. Returns False without sending when the
    notification is gone, was already emailed, or the recipient turned emails off. SMTP failures
    raise (``OSError``); the caller retries."""
    notification = (
        Notification.objects.select_related("recipient__profile", "actor__profile")
        .filter(pk=notification_id, type=Notification.Type.FOLLOW)
        .first()
    )
    if notification is None or not follow_email_due(notification):
        return False
    recipient, actor = notification.recipient, notification.actor
    context = {
        "recipient_name": recipient.profile.display_name or recipient.username,
        "actor_name": actor.profile.display_name or actor.username,
        "actor_username": actor.username,
    }
    message = EmailMultiAlternatives(
        subject=one_line(f"{context['actor_name']} (@{actor.username}) followed you on mini_twitter"),
        body=render_to_string("notifications/follow_email.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(render_to_string("notifications/follow_email.html", context), "text/html")
    message.send()
    # After the send: a worker dying in between sends again on redelivery, which beats never.
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    logger.info("follow email sent for notification %s", notification_id)
    return True
