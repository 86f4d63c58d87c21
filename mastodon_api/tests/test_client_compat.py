"""What real clients rely on, found by driving the running server with them (the end-to-end tests
in test_mastodon_py_flow.py and test_toot_cli.py), pinned here with DRF's client."""

import pytest

from users import services
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEARCH = "/api/v2/search"


def usernames(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [account["username"] for account in response.json()["accounts"]]


def test_search_finds_a_blocked_or_muted_account_by_its_exact_username(mastodon_client, user):
    """``toot unblock NAME`` and ``toot unmute NAME`` find the account with ``/api/v2/search``
    (``type=accounts``, ``resolve=true``) and keep the exact ``acct``; Mastodon returns the exact
    match whatever the relationship."""
    blocked, muted, blocker = UserFactory(username="carol"), UserFactory(username="dave"), UserFactory(username="erin")
    UserFactory(username="carolyn")
    services.block_create(blocker=user, blocked=blocked)
    services.mute_create(muter=user, muted=muted, notifications=False)
    services.block_create(blocker=blocker, blocked=user)
    client = mastodon_client(user)
    for name in ("carol", "@Carol", "dave", "erin"):
        params = {"q": name, "type": "accounts", "resolve": "true"}
        assert usernames(client.get(SEARCH, params))[0] == name.lstrip("@").lower()
    # Only the exact name: a prefix search still leaves them out.
    assert usernames(client.get(SEARCH, {"q": "caro"})) == ["carolyn"]
    assert usernames(client.get(SEARCH, {"q": "da"})) == []
