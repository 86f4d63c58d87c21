"""The streams a client may ask for, as Mastodon names them, and what each takes."""

from dataclasses import dataclass

from realtime.events import user_group

from .auth import READ_NOTIFICATIONS, READ_STATUSES, Streamer, StreamRefused
from .groups import PUBLIC, hashtag_group, home_group, tag_channel

NAMES = frozenset(
    {
        "user",
        "user:notification",
        "public",
        "public:local",
        "public:media",
        "public:local:media",
        "hashtag",
        "hashtag:local",
    }
)


@dataclass(frozen=True)
class Stream:
    name: str
    tag: str | None = None

    @property
    def label(self) -> list[str]:
        """The ``stream`` of the WebSocket's event frames: ``["user"]``, ``["hashtag", "tag"]``..."""
        return [self.name, self.tag] if self.tag is not None else [self.name]

    def groups(self, user_id: int) -> set[str]:
        if self.name == "user":
            return {home_group(user_id), user_group(user_id)}
        if self.name == "user:notification":
            return {user_group(user_id)}
        if self.name.startswith("public"):
            return {PUBLIC}
        return {hashtag_group(self.tag)}

    def takes_status(self, message: dict) -> bool:
        channel = message["channel"]
        if self.name == "user":
            return channel == "home"
        if self.name.startswith("public"):
            media_only = self.name.endswith(":media") and message["event"] != "delete"
            return channel == "public" and (not media_only or message.get("media", False))
        if self.name.startswith("hashtag"):
            return channel == tag_channel(self.tag)
        return False

    def takes_notifications(self, streamer: Streamer) -> bool:
        # The user stream carries notifications only to tokens that may read them.
        return self.name == "user:notification" or (self.name == "user" and streamer.may(READ_NOTIFICATIONS))

    @property
    def scopes(self) -> tuple[str, ...]:
        return READ_NOTIFICATIONS if self.name == "user:notification" else READ_STATUSES


def stream_for(name: str | None, *, tag: str | None, only_media: bool, streamer: Streamer) -> Stream:
    """The stream a client asked for, checked against its token's scopes."""
    if name not in NAMES:
        raise StreamRefused(400, "Unknown stream type")
    if name.startswith("hashtag"):
        tag = (tag or "").strip().lstrip("#").lower()
        if not tag:
            raise StreamRefused(400, "No tag for stream provided")
    else:
        tag = None
    if only_media and name in ("public", "public:local"):
        name += ":media"
    stream = Stream(name, tag)
    if not streamer.may(stream.scopes):
        raise StreamRefused(401, "Access token does not have the required scopes")
    return stream
