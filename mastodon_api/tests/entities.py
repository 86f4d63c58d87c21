"""Shape checks of Mastodon's entities, shared by the API tests."""

ACCOUNT_KEYS = {
    "id", "username", "acct", "display_name", "locked", "bot", "discoverable", "indexable", "group", "created_at",
    "note", "url", "uri", "avatar", "avatar_static", "header", "header_static", "followers_count", "following_count",
    "statuses_count", "last_status_at", "hide_collections", "noindex", "emojis", "roles", "fields",
}  # fmt: skip
STATUS_KEYS = {
    "id", "uri", "url", "created_at", "account", "content", "visibility", "sensitive", "spoiler_text",
    "media_attachments", "application", "mentions", "tags", "emojis", "reblogs_count", "favourites_count",
    "replies_count", "in_reply_to_id", "in_reply_to_account_id", "reblog", "poll", "card", "language", "text",
    "edited_at",
}  # fmt: skip
VIEWER_KEYS = {"favourited", "reblogged", "muted", "bookmarked", "pinned", "filtered"}
RELATIONSHIP_KEYS = {
    "id", "following", "showing_reblogs", "notifying", "languages", "followed_by", "blocking", "blocked_by",
    "muting", "muting_notifications", "requested", "requested_by", "domain_blocking", "endorsed", "note",
}  # fmt: skip


def assert_account(account: dict) -> None:
    assert set(account) >= ACCOUNT_KEYS
    assert account["id"].isdigit()
    assert account["avatar"].startswith("http") and account["header"].startswith("http")
    assert account["created_at"].endswith("T00:00:00.000Z")


def assert_status(status: dict, *, authenticated: bool = True) -> None:
    expected = STATUS_KEYS | (VIEWER_KEYS if authenticated else set())
    assert set(status) == expected, set(status) ^ expected
    assert status["id"].isdigit()
    assert_account(status["account"])
    if status["reblog"] is not None:
        assert_status(status["reblog"], authenticated=authenticated)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(row["id"]) for row in response.json()]


def links(response) -> dict[str, str]:
    """rel → URL of the Link header."""
    found = {}
    for part in response.headers.get("Link", "").split(","):
        if part.strip():
            url, rel = part.split(";")
            found[rel.strip().removeprefix('rel="').removesuffix('"')] = url.strip().strip("<>")
    return found


def query_count(call) -> int:
    """How many queries ``call()`` makes (it must answer 200)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = call()
    assert response.status_code == 200, response.content
    return len(context)
