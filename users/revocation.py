"""Ending every session of an account: its refresh tokens blacklisted and its sockets closed
(4001). ``User.save`` calls it when a password is set or an account deactivated, whichever path
does that (the API's reset, the admin, ``manage.py changepassword``, a shell)."""

from django.db import transaction
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from realtime.events import CLOSE_AUTH_FAILED, close_group, user_sockets_group


def user_refresh_tokens_revoke(*, user_id: int) -> int:
    ids = list(
        OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True).values_list("id", flat=True)
    )
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token_id=i) for i in ids], ignore_conflicts=True)
    return len(ids)


def user_sessions_end_all(*, user_id: int) -> None:
    """Every refresh token is revoked and every socket closes once the transaction commits. The
    access tokens need nothing more: they carry a digest of the password hash (a new password
    fails them) and authentication refuses an inactive user."""
    user_refresh_tokens_revoke(user_id=user_id)
    transaction.on_commit(lambda: close_group(user_sockets_group(user_id), CLOSE_AUTH_FAILED))
