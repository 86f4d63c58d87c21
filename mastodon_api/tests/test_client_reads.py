"""A real Mastodon client (the Mastodon.py library) reading accounts, statuses and timelines from
the running server: its entity parsing and its Link-header pagination work unchanged."""

import pytest
from mastodon import Mastodon

from posts import services as post_services
from posts.tests.factories import PostFactory
from users import services
from users.tests.factories import UserFactory

# Mastodon.py gives ids as its own id type (a string that knows it is a number): compared as ints.

pytestmark = pytest.mark.django_db(transaction=True)


def test_mastodon_py_reads_and_pages(live_server, mastodon_token):
    me, friend = UserFactory(), UserFactory()
    services.follow_create(follower=me, followee=friend)
    posts = [PostFactory(author=friend, content=f"post {i} #tag @{me.username}") for i in range(3)]
    reply = PostFactory(author=me, content="a reply", reply_to=posts[0])
    post_services.like_create(user=me, post=posts[1])
    client = Mastodon(
        access_token=mastodon_token(me),
        api_base_url=live_server.url,
        version_check_mode="none",
        ratelimit_method="pace",
    )

    account = client.account_verify_credentials()
    assert (int(account.id), account.username) == (me.pk, me.username)
    assert account.source.privacy == "public"
    assert client.account(friend.pk).followers_count == 1
    assert client.account_relationships([friend.pk])[0].following is True

    page = client.timeline_home(limit=2)
    assert [int(status.id) for status in page] == [reply.pk, posts[2].pk]
    older = client.fetch_next(page)
    assert [int(status.id) for status in older] == [posts[1].pk, posts[0].pk]
    assert [int(status.id) for status in client.fetch_previous(older)] == [reply.pk, posts[2].pk]
    assert older[0].favourited is True and older[0].tags[0].name == "tag"
    assert older[0].mentions[0].acct == me.username

    context = client.status_context(posts[0].pk)
    assert [int(status.id) for status in context.descendants] == [reply.pk]
    assert [int(a.id) for a in client.status_favourited_by(posts[1].pk)] == [me.pk]
    assert [int(s.id) for s in client.favourites()] == [posts[1].pk]
    assert [int(s.id) for s in client.account_statuses(friend.pk, limit=2)] == [posts[2].pk, posts[1].pk]
    assert [int(s.id) for s in client.timeline_hashtag("tag")] == [p.pk for p in reversed(posts)]
    assert int(client.account_lookup(friend.username).id) == friend.pk
    assert [int(a.id) for a in client.account_following(me.pk)] == [friend.pk]
    assert client.account_mute(friend.pk).muting is True
    assert [int(a.id) for a in client.mutes()] == [friend.pk]
