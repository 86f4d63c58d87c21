"""The accounts embedded in statuses come from a cache that drops an account whenever what it shows
changes: its profile, its follows (both sides' counts), its posts (count, last status)."""

import pytest

from posts import services as post_services
from posts.tests.factories import PostFactory
from users import services
from users.tests.factories import UserFactory

from .entities import query_count

pytestmark = pytest.mark.django_db(transaction=True)


def embedded_account(client, post_id: int) -> dict:
    response = client.get(f"/api/v1/statuses/{post_id}")
    assert response.status_code == 200, response.content
    return response.json()["account"]


def test_embedded_account_follows_changes_at_once(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    client = mastodon_client(user)
    before = embedded_account(client, post.pk)
    assert (before["followers_count"], before["statuses_count"]) == (0, 1)
    assert embedded_account(client, post.pk) == before  # cached

    services.follow_create(follower=user, followee=other_user)
    assert embedded_account(client, post.pk)["followers_count"] == 1

    post_services.post_create(author=other_user, content="another one")
    account = embedded_account(client, post.pk)
    assert account["statuses_count"] == 2 and account["last_status_at"] is not None

    services.profile_update(user=other_user, data={"display_name": "Renamed"})
    assert embedded_account(client, post.pk)["display_name"] == "Renamed"

    services.follow_delete(follower=user, followee=other_user)
    assert embedded_account(client, post.pk)["followers_count"] == 0


def test_a_warm_home_timeline_reads_accounts_from_the_cache(mastodon_client, user):
    followees = UserFactory.create_batch(5)
    for followee in followees:
        services.follow_create(follower=user, followee=followee)
        reply_to = PostFactory(author=UserFactory())
        PostFactory(author=followee, reply_to=reply_to)
    client = mastodon_client(user)
    cold = query_count(lambda: client.get("/api/v1/timelines/home"))
    warm = query_count(lambda: client.get("/api/v1/timelines/home"))
    assert warm < cold
    assert warm <= 2  # the token (with its user), and no more than one other
