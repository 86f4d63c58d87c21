"""The statuses API, read side: a status, its context, who favourited or reblogged it, my
favourites."""

import pytest

from posts import services as post_services
from posts.models import Retweet
from posts.tests.factories import PostFactory
from users import services
from users.tests.factories import UserFactory

from .entities import assert_status, ids, links, query_count

pytestmark = pytest.mark.django_db


def test_a_status_as_mastodon_shows_it(mastodon_client, user, other_user):
    parent = PostFactory(author=other_user)
    post = PostFactory(author=user, content=f"hi @{other_user.username} and @nobody #Tag\nnext", reply_to=parent)
    post_services.like_create(user=other_user, post=post)
    body = mastodon_client(other_user, "read:statuses").get(f"/api/v1/statuses/{post.pk}").json()
    assert_status(body)
    assert body["id"] == str(post.pk)
    assert body["url"] == f"http://testserver/@{user.username}/{post.pk}"
    assert body["uri"] == f"http://testserver/users/{user.username}/statuses/{post.pk}"
    assert body["in_reply_to_id"] == str(parent.pk)
    assert body["in_reply_to_account_id"] == str(other_user.pk)
    assert body["favourited"] is True and body["reblogged"] is False and body["favourites_count"] == 1
    assert body["visibility"] == "public"
    assert (body["spoiler_text"], body["sensitive"], body["bookmarked"], body["pinned"]) == ("", False, False, False)
    assert body["mentions"] == [
        {
            "id": str(other_user.pk),
            "username": other_user.username,
            "url": f"http://testserver/@{other_user.username}",
            "acct": other_user.username,
        }
    ]
    assert body["tags"] == [{"name": "tag", "url": "http://testserver/tags/tag"}]
    assert body["content"] == (
        f'<p>hi <span class="h-card" translate="no"><a href="http://testserver/@{other_user.username}" '
        f'class="u-url mention">@<span>{other_user.username}</span></a></span> and @nobody '
        '<a href="http://testserver/tags/tag" class="mention hashtag" rel="tag">#<span>Tag</span></a><br />next</p>'
    )
    assert body["created_at"].endswith("Z") and len(body["created_at"]) == 24


def test_anonymous_readers_get_no_viewer_attributes(api_client, user):
    post = PostFactory(author=user)
    assert_status(api_client.get(f"/api/v1/statuses/{post.pk}").json(), authenticated=False)


def test_hidden_and_unknown_statuses_are_404(mastodon_client, api_client, user, other_user):
    post = PostFactory(author=other_user)
    services.block_create(blocker=other_user, blocked=user)
    response = mastodon_client(user).get(f"/api/v1/statuses/{post.pk}")
    assert (response.status_code, response.json()) == (404, {"error": "Record not found"})
    assert api_client.get("/api/v1/statuses/999999").status_code == 404
    assert mastodon_client(user, "write").get(f"/api/v1/statuses/{post.pk}").status_code == 403


def test_followers_only_status_is_for_followers(mastodon_client, user, other_user):
    before = PostFactory(author=other_user)  # stored public, for followers once the account is protected
    services.profile_update(user=other_user, data={"is_protected": True})
    post = PostFactory(author=other_user)
    assert mastodon_client(user).get(f"/api/v1/statuses/{before.pk}").status_code == 404
    assert mastodon_client(user).get(f"/api/v1/statuses/{post.pk}").status_code == 404
    services.follow_create(follower=user, followee=other_user, ask_protected=False)
    assert mastodon_client(user).get(f"/api/v1/statuses/{post.pk}").json()["visibility"] == "private"
    assert mastodon_client(user).get(f"/api/v1/statuses/{before.pk}").json()["visibility"] == "private"


def test_a_reblog_status_by_id(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    post_services.retweet_create(user=user, post=post)
    reblog_id = 2**62 + Retweet.objects.get().pk
    body = mastodon_client(user).get(f"/api/v1/statuses/{reblog_id}").json()
    assert_status(body)
    assert body["id"] == str(reblog_id)
    assert body["account"]["id"] == str(user.pk)
    assert body["reblog"]["id"] == str(post.pk) and body["reblog"]["reblogged"] is True
    assert body["reblogged"] is True and body["content"] == ""


def test_context_shows_the_visible_thread(mastodon_client, user, other_user):
    root = PostFactory(author=other_user)
    middle = PostFactory(author=user, reply_to=root)
    child_a = PostFactory(author=other_user, reply_to=middle)
    grandchild = PostFactory(author=user, reply_to=child_a)
    muted = UserFactory()
    child_b = PostFactory(author=muted, reply_to=middle)
    viewer = UserFactory()
    services.mute_create(muter=viewer, muted=muted)
    body = mastodon_client(viewer).get(f"/api/v1/statuses/{middle.pk}/context").json()
    assert [s["id"] for s in body["ancestors"]] == [str(root.pk)]
    assert [s["id"] for s in body["descendants"]] == [str(child_a.pk), str(grandchild.pk)]
    body = mastodon_client(user).get(f"/api/v1/statuses/{middle.pk}/context").json()
    assert [s["id"] for s in body["descendants"]] == [str(child_a.pk), str(grandchild.pk), str(child_b.pk)]
    assert mastodon_client(user).get("/api/v1/statuses/999999/context").status_code == 404


def test_context_of_a_long_thread_is_read_in_fixed_queries_within_its_bounds(mastodon_client, user, monkeypatch):
    from mastodon_api.views import statuses as views

    def chain(n):
        posts = [PostFactory(author=user)]
        for _ in range(n):
            posts.append(PostFactory(author=user, reply_to=posts[-1]))
        return posts

    client = mastodon_client(user)
    short, long = chain(4), chain(12)
    paths = [f"/api/v1/statuses/{short[2].pk}/context", f"/api/v1/statuses/{long[6].pk}/context"]
    for path in paths:  # the immutable facts (who wrote each post replied to) cached
        client.get(path)
    assert query_count(lambda: client.get(paths[0])) == query_count(lambda: client.get(paths[1]))
    monkeypatch.setattr(views, "CONTEXT_DEPTH", 3)
    monkeypatch.setattr(views, "CONTEXT_DESCENDANTS", 2)
    body = client.get(f"/api/v1/statuses/{long[6].pk}/context").json()
    assert [s["id"] for s in body["ancestors"]] == [str(p.pk) for p in long[3:6]]
    assert [s["id"] for s in body["descendants"]] == [str(p.pk) for p in long[7:9]]


def test_favourited_by_and_reblogged_by(mastodon_client, api_client, user):
    post = PostFactory(author=user)
    fans = [UserFactory() for _ in range(3)]
    for fan in fans:
        post_services.like_create(user=fan, post=post)
        post_services.retweet_create(user=fan, post=post)
    first = api_client.get(f"/api/v1/statuses/{post.pk}/favourited_by", {"limit": 2})
    assert ids(first) == [fans[2].pk, fans[1].pk]
    assert ids(api_client.get(links(first)["next"])) == [fans[0].pk]
    assert ids(api_client.get(f"/api/v1/statuses/{post.pk}/reblogged_by")) == [f.pk for f in reversed(fans)]
    services.block_create(blocker=fans[0], blocked=user)
    assert fans[0].pk not in ids(mastodon_client(user).get(f"/api/v1/statuses/{post.pk}/reblogged_by"))


def test_favourites_newest_like_first_with_links(mastodon_client, user, other_user):
    posts = [PostFactory(author=other_user) for _ in range(3)]
    for post in (posts[1], posts[0], posts[2]):
        post_services.like_create(user=user, post=post)
    client = mastodon_client(user, "read:favourites")
    first = client.get("/api/v1/favourites", {"limit": 2})
    assert ids(first) == [posts[2].pk, posts[0].pk]
    second = client.get(links(first)["next"])
    assert ids(second) == [posts[1].pk]
    assert ids(client.get(links(second)["prev"])) == [posts[2].pk, posts[0].pk]
    services.block_create(blocker=user, blocked=other_user)
    assert ids(client.get("/api/v1/favourites")) == []
    assert mastodon_client(user, "read:statuses").get("/api/v1/favourites").status_code == 403


def test_status_lists_take_as_many_queries_for_1_row_as_for_20(mastodon_client):
    def counts(n):
        me, author = UserFactory(), UserFactory()
        root = PostFactory(author=author)
        for _ in range(n):
            post = PostFactory(author=UserFactory(), reply_to=root)
            post_services.like_create(user=me, post=post)
            post_services.like_create(user=UserFactory(), post=root)
            post_services.retweet_create(user=UserFactory(), post=root)
        client = mastodon_client(me)
        paths = ["/api/v1/favourites", *(f"/api/v1/statuses/{root.pk}/{w}" for w in ("favourited_by", "reblogged_by"))]
        return [query_count(lambda p=p: client.get(p)) for p in paths]

    assert counts(1) == counts(20)


def test_swagger_documents_the_endpoints_with_mastodon_errors(api_client):
    schema = api_client.get("/swagger.json").json()
    operations = {
        (method, path): operation
        for path, item in schema["paths"].items()
        if path.startswith(("/v1/statuses", "/v1/timelines", "/v1/accounts", "/v1/favourites"))
        for method, operation in item.items()
        if method != "parameters"
    }
    assert ("get", "/v1/timelines/home") in operations and ("get", "/v1/statuses/{id}/context") in operations
    for operation in operations.values():
        assert operation["tags"] == ["mastodon"]
        assert operation["responses"]["401"]["schema"] == {"$ref": "#/definitions/MastodonError"}
    status = operations[("get", "/v1/statuses/{id}")]["responses"]["200"]["schema"]
    assert status == {"$ref": "#/definitions/MastodonStatus"}
