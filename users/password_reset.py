"""Password reset codes: their hash, and a fresh code for a user (what the reset email sends; the
confirmation is ``services.password_reset_confirm``)."""

import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import PasswordResetCode, User


def code_hash(user_id: int, code: str) -> str:
    return salted_hmac("users.password_reset", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def password_reset_code_create(*, user_id: int) -> str | None:
    """Void the user's earlier codes and store a new one; returns the plain code (to be emailed)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        PasswordResetCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        PasswordResetCode.objects.create(
            user=user,
            code_hash=code_hash(user.pk, code),
            created_at=now,
            expires_at=now + settings.PASSWORD_RESET_CODE_TTL,
        )
    return code
