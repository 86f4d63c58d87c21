"""The ``Idempotency-Key`` request header, as Stripe and Mastodon read it: a client's retry of a
write carries the key of its first attempt, and the write is done once. This module reads and checks
the header and says how long a key is remembered; the service that writes stores the key in the
same transaction as what it creates (``posts.services.post_create``), so a retry finds the result
even when the first answer was lost after commit."""

from datetime import datetime, timedelta

from django.utils import timezone
from drf_yasg import openapi
from rest_framework import exceptions

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
# How long a key is remembered for its user; after that it is free again (Mastodon: one hour).
TTL = timedelta(hours=1)

PARAMETER = openapi.Parameter(
    HEADER,
    openapi.IN_HEADER,
    type=openapi.TYPE_STRING,
    required=False,
    description=(
        f"1 to {MAX_LENGTH} printable ASCII characters (a UUID, say), chosen by the client for this write "
        "and sent again with each retry of it. Within an hour, a retry with the same key by the same user "
        "answers the same status and resource as the first attempt and creates nothing, whatever its body "
        "(as Mastodon does: the key names the write); a retry arriving while the first attempt is still "
        "running waits for it. Keys are per user; an empty or longer key, or other characters → 400."
    ),
)


def key_from(request) -> str | None:
    """The request's idempotency key, or None without the header; a bad one is a 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_LENGTH or not all(" " <= char <= "~" for char in key):
        raise exceptions.ParseError(f"The {HEADER} header must be 1 to {MAX_LENGTH} printable ASCII characters long.")
    return key


def is_live(recorded_at: datetime) -> bool:
    """Whether a key recorded at ``recorded_at`` still stands for its first result."""
    return recorded_at > timezone.now() - TTL
