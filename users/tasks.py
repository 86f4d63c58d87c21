"""Celery tasks of the users app: emails with password-reset codes."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.template.loader import render_to_string

from .models import User
from .password_reset import password_reset_code_create

logger = logging.getLogger(__name__)

TRANSIENT_MAIL_ERRORS = (OSError,)


@shared_task(
    name="users.send_password_reset_email",
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    soft_time_limit=30,
    time_limit=45,
)
def send_password_reset_email_task(*, user_id: int | None) -> bool:
    """Create a fresh code for the user (voiding earlier ones) and email it.

    The plain code exists only here and in the email: never in the database or the broker. A retry
    makes a new code, which voids the one of the failed attempt. ``user_id`` is None for a request
    naming no account: the request enqueues this task either way, so that both cost the same.
    """
    if user_id is None:
        return False
    code = password_reset_code_create(user_id=user_id)
    if code is None:
        return False  # the user vanished or was deactivated: nothing to retry
    user = User.objects.select_related("profile").get(pk=user_id)
    minutes = int(settings.PASSWORD_RESET_CODE_TTL.total_seconds() // 60)
    context = {"user": user, "code": code, "minutes": minutes}
    message = EmailMultiAlternatives(
        subject="Your mini_twitter password reset code",
        body=render_to_string("users/password_reset_email.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("users/password_reset_email.html", context), "text/html")
    try:
        message.send()
    except BadHeaderError:
        # Not transient: retrying can't help, and the user can ask again.
        logger.error("password reset email for user %s not sent: a header has a line break", user_id)
        return False
    logger.info("password reset code sent to user %s", user_id)
    return True
