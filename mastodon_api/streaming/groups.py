"""Channel-layer groups the streams listen on, and the messages sent to them.

A status message: ``{"type": "mastodon.status", "event": "update"|"status.update"|"delete",
"channel": "home"|"public"|"tag:<name>", "status_id", "author_id", "visibility", "protected",
"media", "version"}``. Statuses are rendered by the streams (once per process and site), so a
message stays small whatever the fan-out. Notifications reach the ``user`` streams through the
native per-user group (``realtime.events.user_group``), as ``/ws/events/`` gets them. Streams close
on ``close.socket``: sent to their token's group when it is revoked, and to the user's sockets group
(``realtime.events.user_sockets_group``) when the account is deactivated or its password set."""

import hashlib

PUBLIC = "mastodon.public"


def home_group(user_id: int) -> str:
    """A user's home timeline: the statuses of the accounts they follow, and their own."""
    return f"mastodon.home.{user_id}"


def token_group(token_id: int) -> str:
    """The streams opened with one access token (closed when it is revoked)."""
    return f"mastodon.token.{token_id}"


def hashtag_group(name: str) -> str:
    # Group names are ASCII and short; hashtags may be neither.
    return "mastodon.tag." + hashlib.sha1(name.lower().encode(), usedforsecurity=False).hexdigest()


def tag_channel(name: str) -> str:
    return f"tag:{name.lower()}"
