"""JWT authentication for the REST API and the sockets, with revocation.

simplejwt's tokens are checked by signature and expiry only; two claims make them revocable without
a query more than the user row that authentication loads anyway:

- ``hash_password`` (simplejwt's ``CHECK_REVOKE_TOKEN``): a digest of the password hash the token
  was issued under. Setting a password (reset, the admin, ``changepassword``) changes the hash, so
  every token issued before it stops working at once.
- ``sid``: the session, one per login, put in the refresh token and so copied into every access
  token it mints, and kept across rotation. Logging out records the session as ended on the user
  row (``User.revoked_sessions``); the session's tokens then fail, the user's other sessions don't.
"""

import secrets
import time

from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.tokens import Token

from .models import User

SESSION_CLAIM = "sid"
SESSION_ENDED = "This session has ended: log in again."


def new_session_id() -> str:
    return secrets.token_urlsafe(16)


def session_of(token: Token) -> str | None:
    sid = token.get(SESSION_CLAIM)
    return sid if isinstance(sid, str) else None


def session_is_revoked(user: User, token: Token) -> bool:
    sid = session_of(token)
    return sid is not None and sid in (user.revoked_sessions or {})


def revoked_sessions_after_ending(revoked: dict[str, int], sid: str, now: float | None = None) -> dict[str, int]:
    """The user's ended sessions with ``sid`` added. An entry is needed only while an access token
    of that session can still be valid (its refresh token is blacklisted at logout, so no new ones
    are minted): older entries are dropped, which keeps the column small."""
    now = int(now if now is not None else time.time())
    keep_for = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() + 60
    kept = {key: ended for key, ended in (revoked or {}).items() if now - ended <= keep_for}
    kept[sid] = now
    return kept


# Set on a user that authentication has just read, with its profile, for this request.
_PROFILE_READ_WITH_USER = "_profile_read_with_user"


def profile_read_with(user):
    """The user's profile if ``SessionJWTAuthentication`` read it with the user for this request,
    else None: a user instance kept from earlier may hold a stale profile."""
    return user.profile if getattr(user, _PROFILE_READ_WITH_USER, False) else None


class _UsersWithProfile:
    """What simplejwt's ``get_user`` reads users from (``user_model.objects``): with the profile
    joined."""

    objects = User.objects.select_related("profile")
    DoesNotExist = User.DoesNotExist


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication (active user, password unchanged since the token was
    issued), refusing tokens of an ended session too. Used by the REST API and the sockets."""

    session_of = staticmethod(session_of)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The profile comes in the same query: writes read it (a protected author's posts are for
        # followers) and representations show it, each of which would cost a query of its own.
        self.user_model = _UsersWithProfile

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if session_is_revoked(user, validated_token):
            raise AuthenticationFailed(SESSION_ENDED, code="session_revoked")
        setattr(user, _PROFILE_READ_WITH_USER, True)
        return user


class SessionTokenObtainPairSerializer(TokenObtainPairSerializer):
    """Login: a new session id in the refresh token (the access token copies it)."""

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token[SESSION_CLAIM] = new_session_id()
        return token
