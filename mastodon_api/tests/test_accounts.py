"""The accounts API: entities, relationships and their changes, lists with Link headers."""

import io

import pytest
from PIL import Image

from posts import services as post_services
from posts.models import Retweet
from posts.tests.factories import PostFactory
from users import services
from users.models import Block, Follow, FollowRequest, Mute
from users.tests.factories import UserFactory

from .entities import RELATIONSHIP_KEYS, assert_account, assert_status, ids, links, query_count

pytestmark = pytest.mark.django_db


def protect(user):
    services.profile_update(user=user, data={"is_protected": True})


def test_verify_credentials_is_the_account_with_its_source(mastodon_client, user):
    services.profile_update(user=user, data={"bio": "Hello #world\n\nsecond", "display_name": "Me"})
    PostFactory(author=user)
    response = mastodon_client(user, "read:accounts").get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 200
    body = response.json()
    assert_account(body)
    assert body["id"] == str(user.pk)
    assert body["acct"] == body["username"] == user.username
    assert body["display_name"] == "Me"
    assert body["note"].startswith('<p>Hello <a href="http://testserver/tags/world" class="mention hashtag"')
    assert body["note"].endswith("</p><p>second</p>")
    assert body["url"] == f"http://testserver/@{user.username}"
    assert body["statuses_count"] == 1
    assert body["last_status_at"] is not None and len(body["last_status_at"]) == 10
    assert body["avatar"].endswith("/static/mastodon_api/avatar.png")
    assert body["source"] == {
        "note": "Hello #world\n\nsecond",
        "fields": [],
        "privacy": "public",
        "sensitive": False,
        "language": "",
        "follow_requests_count": 0,
        "hide_collections": False,
        "discoverable": True,
        "indexable": True,
    }
    assert body["role"] == {"id": "-99", "name": "", "color": "", "permissions": "0", "highlighted": False}


def test_verify_credentials_errors(api_client, mastodon_client, user):
    assert api_client.get("/api/v1/accounts/verify_credentials").status_code == 401
    response = mastodon_client(user, "write").get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "a.png"
    return buffer


def test_update_credentials_goes_through_the_profile_service(mastodon_client, user):
    client = mastodon_client(user, "write:accounts")
    response = client.patch(
        "/api/v1/accounts/update_credentials",
        {"display_name": "New", "note": "bio", "locked": "true", "avatar": _png()},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "New" and body["locked"] is True and body["source"]["privacy"] == "private"
    assert "/media/avatars/" in body["avatar"]
    user.profile.refresh_from_db()
    assert (user.profile.bio, user.profile.is_protected) == ("bio", True)


def test_update_credentials_refuses_bad_input_with_422(mastodon_client, user):
    client = mastodon_client(user, "write")
    not_image = io.BytesIO(b"not an image")
    not_image.name = "a.png"
    response = client.patch("/api/v1/accounts/update_credentials", {"avatar": not_image}, format="multipart")
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed: Avatar")
    response = client.patch("/api/v1/accounts/update_credentials", {"display_name": "x" * 51}, format="multipart")
    assert response.status_code == 422
    assert mastodon_client(user, "read").patch("/api/v1/accounts/update_credentials", {}).status_code == 403


def test_account_by_id_and_unknown(api_client, user):
    response = api_client.get(f"/api/v1/accounts/{user.pk}")
    assert response.status_code == 200
    assert_account(response.json())
    assert api_client.get("/api/v1/accounts/999999").json() == {"error": "Record not found"}
    user.is_active = False
    user.save()
    assert api_client.get(f"/api/v1/accounts/{user.pk}").status_code == 404


def test_account_statuses_filters_and_visibility(mastodon_client, api_client, user, other_user):
    parent = PostFactory(author=other_user)
    reply = PostFactory(author=other_user, reply_to=parent)
    own = PostFactory(author=other_user)
    path = f"/api/v1/accounts/{other_user.pk}/statuses"
    response = api_client.get(path)
    assert ids(response) == [own.pk, reply.pk, parent.pk]
    for status in response.json():
        assert_status(status, authenticated=False)
    assert ids(api_client.get(path, {"exclude_replies": "true"})) == [own.pk, parent.pk]
    assert ids(api_client.get(path, {"only_media": "true"})) == []
    assert ids(api_client.get(path, {"pinned": "true"})) == []
    # Blocked: nothing to see.
    services.block_create(blocker=other_user, blocked=user)
    assert ids(mastodon_client(user).get(path)) == []


def test_account_statuses_of_a_protected_account_are_for_followers(mastodon_client, user, other_user):
    protect(other_user)
    post = PostFactory(author=other_user)
    path = f"/api/v1/accounts/{other_user.pk}/statuses"
    assert ids(mastodon_client(user).get(path)) == []
    Follow.objects.create(follower=user, followee=other_user)
    statuses = mastodon_client(user).get(path).json()
    assert [s["id"] for s in statuses] == [str(post.pk)]
    assert statuses[0]["visibility"] == "private"


def test_account_statuses_mix_posts_and_reblogs_by_time(api_client, mastodon_client, user, other_user):
    first = PostFactory(author=user)
    theirs = PostFactory(author=other_user)
    post_services.retweet_create(user=user, post=theirs)
    reblog = str(2**62 + Retweet.objects.get().pk)
    last = PostFactory(author=user)
    newest_first = [str(last.pk), reblog, str(first.pk)]
    path = f"/api/v1/accounts/{user.pk}/statuses"
    body = api_client.get(path).json()
    assert [s["id"] for s in body] == newest_first
    assert body[1]["reblog"]["id"] == str(theirs.pk) and body[1]["account"]["id"] == str(user.pk)
    assert [s["id"] for s in api_client.get(path, {"exclude_reblogs": "true"}).json()] == newest_first[::2]
    page = api_client.get(path, {"limit": 1, "max_id": last.pk})
    assert [s["id"] for s in page.json()] == [reblog]
    assert [s["id"] for s in api_client.get(links(page)["next"]).json()] == [str(first.pk)]
    assert [s["id"] for s in api_client.get(links(page)["prev"]).json()] == [str(last.pk)]
    assert [s["id"] for s in api_client.get(path, {"min_id": first.pk}).json()] == newest_first[:2]
    assert [s["id"] for s in api_client.get(path, {"since_id": reblog}).json()] == [str(last.pk)]
    # A reblog of a post the viewer may not see is left out.
    services.block_create(blocker=other_user, blocked=user)
    assert [s["id"] for s in mastodon_client(user).get(path).json()] == [str(last.pk), str(first.pk)]


def test_account_statuses_walk_with_link_headers(api_client, user):
    posts = [PostFactory(author=user) for _ in range(5)]
    newest_first = [p.pk for p in reversed(posts)]
    path = f"/api/v1/accounts/{user.pk}/statuses"
    first = api_client.get(path, {"limit": 2})
    assert ids(first) == newest_first[:2]
    second = api_client.get(links(first)["next"])
    assert ids(second) == newest_first[2:4]
    assert "limit=2" in links(second)["next"]
    back = api_client.get(links(second)["prev"])
    assert ids(back) == newest_first[:2]


def test_lists_take_as_many_queries_for_1_row_as_for_20(api_client, mastodon_client, user):
    def world(n):
        author = UserFactory()
        for _ in range(n):
            PostFactory(author=author)
            post_services.retweet_create(user=author, post=PostFactory(author=UserFactory()))
            Follow.objects.create(follower=UserFactory(), followee=author)
            Follow.objects.create(follower=author, followee=UserFactory())
        return author

    def counts(author):
        return [
            query_count(lambda what=what: api_client.get(f"/api/v1/accounts/{author.pk}/{what}", {"limit": 40}))
            for what in ("statuses", "followers", "following")
        ]

    assert counts(world(1)) == counts(world(20))


def test_relation_lists_take_as_many_queries_for_1_row_as_for_20(mastodon_client):
    def counts(n):
        me = UserFactory()
        protect(me)
        for _ in range(n):
            other = UserFactory()
            services.block_create(blocker=me, blocked=other)
            services.mute_create(muter=me, muted=UserFactory())
            services.follow_create(follower=UserFactory(), followee=me)
        client = mastodon_client(me)
        return [
            query_count(lambda p=p: client.get(p))
            for p in ("/api/v1/blocks", "/api/v1/mutes", "/api/v1/follow_requests")
        ]

    assert counts(1) == counts(20)


def test_followers_and_following_with_link_headers(api_client, mastodon_client, user):
    followers = [UserFactory() for _ in range(3)]
    for follower in followers:
        services.follow_create(follower=follower, followee=user)
    path = f"/api/v1/accounts/{user.pk}/followers"
    first = api_client.get(path, {"limit": 2})
    assert ids(first) == [followers[2].pk, followers[1].pk]
    assert ids(api_client.get(links(first)["next"])) == [followers[0].pk]
    assert ids(api_client.get(f"/api/v1/accounts/{followers[0].pk}/following")) == [user.pk]
    protect(user)
    assert ids(mastodon_client(followers[0]).get(path)) == []
    assert len(ids(mastodon_client(user).get(path))) == 3


def test_follow_unfollow_and_the_relationship(mastodon_client, user, other_user):
    client = mastodon_client(user, "follow")
    response = client.post(f"/api/v1/accounts/{other_user.pk}/follow")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RELATIONSHIP_KEYS
    assert body["following"] is True and body["requested"] is False and body["id"] == str(other_user.pk)
    assert Follow.objects.filter(follower=user, followee=other_user).exists()
    body = client.post(f"/api/v1/accounts/{other_user.pk}/unfollow").json()
    assert body["following"] is False
    assert client.post("/api/v1/accounts/999999/follow").status_code == 404
    assert mastodon_client(user, "read").post(f"/api/v1/accounts/{other_user.pk}/follow").status_code == 403


def test_following_a_protected_account_is_requested_and_authorized(mastodon_client, user, other_user):
    protect(other_user)
    body = mastodon_client(user).post(f"/api/v1/accounts/{other_user.pk}/follow").json()
    assert (body["following"], body["requested"]) == (False, True)
    owner = mastodon_client(other_user)
    requests = owner.get("/api/v1/follow_requests")
    assert ids(requests) == [user.pk]
    assert owner.get(f"/api/v1/accounts/{user.pk}").json()["id"] == str(user.pk)
    relationship = owner.get("/api/v1/accounts/relationships", {"id[]": [user.pk]}).json()[0]
    assert relationship["requested_by"] is True
    body = owner.post(f"/api/v1/follow_requests/{user.pk}/authorize").json()
    assert body["followed_by"] is True and body["requested_by"] is False
    assert owner.post(f"/api/v1/follow_requests/{user.pk}/reject").status_code == 404


def test_reject_a_follow_request(mastodon_client, user, other_user):
    protect(other_user)
    services.follow_create(follower=user, followee=other_user)
    body = mastodon_client(other_user).post(f"/api/v1/follow_requests/{user.pk}/reject").json()
    assert body["requested_by"] is False
    assert not FollowRequest.objects.exists() and not Follow.objects.exists()


def test_follow_blocked_is_403(mastodon_client, user, other_user):
    services.block_create(blocker=other_user, blocked=user)
    response = mastodon_client(user).post(f"/api/v1/accounts/{other_user.pk}/follow")
    assert response.status_code == 403
    assert "error" in response.json()


def test_block_mute_and_their_lists(mastodon_client, user, other_user):
    client = mastodon_client(user)
    body = client.post(f"/api/v1/accounts/{other_user.pk}/block").json()
    assert body["blocking"] is True
    assert ids(client.get("/api/v1/blocks")) == [other_user.pk]
    assert client.post(f"/api/v1/accounts/{other_user.pk}/unblock").json()["blocking"] is False
    assert not Block.objects.exists()
    body = client.post(f"/api/v1/accounts/{other_user.pk}/mute", {"notifications": False, "duration": 3600}).json()
    assert (body["muting"], body["muting_notifications"]) == (True, False)
    mute = Mute.objects.get()
    assert mute.expires_at is not None and mute.notifications is False
    assert ids(client.get("/api/v1/mutes")) == [other_user.pk]
    response = client.post(f"/api/v1/accounts/{other_user.pk}/mute", {"duration": 5})
    assert response.status_code == 422
    assert client.post(f"/api/v1/accounts/{other_user.pk}/unmute").json()["muting"] is False
    assert mastodon_client(user, "read").get("/api/v1/blocks").status_code == 200
    assert mastodon_client(user, "read:statuses").get("/api/v1/mutes").status_code == 403


def test_relationships_in_bulk(mastodon_client, user, django_assert_max_num_queries):
    others = [UserFactory() for _ in range(20)]
    services.follow_create(follower=user, followee=others[0])
    services.follow_create(follower=others[1], followee=user)
    client = mastodon_client(user)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/accounts/relationships", {"id[]": [o.pk for o in others] + [999999]}).json()
    assert [r["id"] for r in body] == [str(o.pk) for o in others]
    assert body[0]["following"] is True and body[1]["followed_by"] is True
    assert body[2]["following"] is False


def test_lookup_and_search(api_client, user):
    services.profile_update(user=user, data={"display_name": "Findable Person"})
    assert api_client.get("/api/v1/accounts/lookup", {"acct": user.username.upper()}).json()["id"] == str(user.pk)
    assert api_client.get("/api/v1/accounts/lookup", {"acct": f"@{user.username}@testserver"}).status_code == 200
    assert api_client.get("/api/v1/accounts/lookup", {"acct": f"{user.username}@elsewhere.example"}).status_code == 404
    assert api_client.get("/api/v1/accounts/lookup", {"acct": "nobody"}).status_code == 404
    assert ids(api_client.get("/api/v1/accounts/search", {"q": "findable"})) == [user.pk]
    assert api_client.get("/api/v1/accounts/search", {"q": ""}).status_code == 422


def test_bad_pagination_id_is_422(api_client, user):
    response = api_client.get(f"/api/v1/accounts/{user.pk}/statuses", {"max_id": "abc"})
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Max id is invalid"}


def test_bad_input_is_never_a_server_error(api_client, mastodon_client, user):
    client = mastodon_client(user)
    for action in ("follow", "block", "mute"):
        response = client.post(f"/api/v1/accounts/{user.pk}/{action}")
        assert response.status_code == 422 and response.json()["error"].startswith("Validation failed: You cannot")
    assert client.get("/api/v1/accounts/relationships", {"id[]": ["abc", "-1", "9" * 30]}).json() == []
    assert api_client.get("/api/v1/accounts/9999999999999999999").status_code == 404
    assert api_client.get("/api/v1/accounts/lookup").status_code == 404
    assert client.post(f"/api/v1/accounts/{user.pk}/mute", {"duration": "soon"}).status_code == 422
    assert client.patch("/api/v1/accounts/update_credentials", {"locked": "maybe"}).status_code == 422
    assert api_client.get(f"/api/v1/accounts/{user.pk}/statuses", {"limit": "many"}).status_code == 200
    assert api_client.get(f"/api/v1/accounts/{user.pk}/statuses", {"min_id": "9" * 19}).status_code == 422


def test_familiar_followers_are_the_accounts_i_follow_that_follow_them(mastodon_client, user):
    target, other_target, friend, hidden_friend, stranger = UserFactory.create_batch(5)
    for followee in (friend, hidden_friend):
        services.follow_create(follower=user, followee=followee)
    for follower in (friend, hidden_friend, stranger):
        services.follow_create(follower=follower, followee=target)
    services.profile_update(user=hidden_friend, data={"is_protected": True})  # hides whom it follows
    client = mastodon_client(user, "read:follows")
    response = client.get("/api/v1/accounts/familiar_followers", {"id[]": [target.pk, other_target.pk, 10**12, "x"]})
    assert response.status_code == 200
    assert [(row["id"], [a["id"] for a in row["accounts"]]) for row in response.json()] == [
        (str(target.pk), [str(friend.pk)]),
        (str(other_target.pk), []),
    ]
    assert mastodon_client(user, "read:statuses").get("/api/v1/accounts/familiar_followers").status_code == 403
    assert mastodon_client().get("/api/v1/accounts/familiar_followers").status_code == 401


def test_familiar_followers_query_count_does_not_grow(mastodon_client, user):
    def count(n: int) -> int:
        targets = UserFactory.create_batch(n)
        for target in targets:
            friend = UserFactory()
            services.follow_create(follower=user, followee=friend)
            services.follow_create(follower=friend, followee=target)
        client = mastodon_client(user)
        return query_count(lambda: client.get("/api/v1/accounts/familiar_followers", {"id[]": [t.pk for t in targets]}))

    assert count(1) == count(20)


def test_an_accounts_featured_tags_and_my_lists_holding_it_are_empty(mastodon_client, user, other_user):
    client = mastodon_client(user)
    assert client.get(f"/api/v1/accounts/{other_user.pk}/featured_tags").json() == []
    assert client.get(f"/api/v1/accounts/{other_user.pk}/lists").json() == []
    assert client.get("/api/v1/accounts/999999999/featured_tags").status_code == 404
    assert mastodon_client().get(f"/api/v1/accounts/{other_user.pk}/featured_tags").status_code == 200
    assert mastodon_client().get(f"/api/v1/accounts/{other_user.pk}/lists").status_code == 401
