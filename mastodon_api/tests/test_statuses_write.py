"""The statuses API, write side: posting (forms, JSON, Idempotency-Key), editing, deleting, source
and history, favourites, reblogs and pins; the native content warning, sensitivity and pins shown."""

import pytest

from media import services as media_services
from media.tests.images import upload
from posts import services as post_services
from posts.models import Like, Post, PostEdit, Retweet
from posts.tests.factories import PostFactory
from users import services
from users.tests.factories import UserFactory

from .entities import assert_status, ids, query_count

pytestmark = pytest.mark.django_db


def test_post_a_status_as_a_form_with_media(mastodon_client, user, other_user):
    parent = PostFactory(author=other_user)
    media = media_services.media_create(owner=user, upload=upload(), description="a red square")
    response = mastodon_client(user, "write:statuses").post(
        "/api/v1/statuses",
        {
            "status": "hello #tag",
            "media_ids[]": [str(media.pk)],
            "in_reply_to_id": str(parent.pk),
            "visibility": "unlisted",
            "spoiler_text": "cw",
            "sensitive": "true",
            "language": "en",
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert_status(body)
    post = Post.objects.get(pk=int(body["id"]))
    assert (post.author, post.reply_to, post.visibility) == (user, parent, "unlisted")
    assert (body["spoiler_text"], body["sensitive"], body["visibility"]) == ("cw", True, "unlisted")
    assert body["in_reply_to_id"] == str(parent.pk) and body["language"] is None

    assert [a["description"] for a in body["media_attachments"]] == ["a red square"]
    assert body["tags"][0]["name"] == "tag"


def test_post_as_json_and_private_is_for_followers(mastodon_client, user):
    client = mastodon_client(user)
    media = media_services.media_create(owner=user, upload=upload())
    response = client.post(
        "/api/v1/statuses", {"status": "mine", "visibility": "private", "media_ids": [str(media.pk)]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["visibility"] == "private"
    assert Post.objects.get().visibility == Post.Visibility.FOLLOWERS
    assert [a["id"] for a in response.json()["media_attachments"]] == [str(media.pk)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "x", "visibility": "direct"}, "Validation failed: Direct messages are not supported"),
        ({"status": "x", "visibility": "secret"}, None),
        ({"status": ""}, None),
        ({"status": "x" * 281}, None),
        (
            {"status": "x", "poll[options][]": ["a", "b"], "poll[expires_in]": "60"},
            "Validation failed: Polls are not supported",
        ),
        ({"status": "x", "scheduled_at": "2030-01-01T00:00:00Z"}, None),
        ({"status": "x", "media_ids[]": ["abc"]}, None),
        ({"status": "x", "media_ids[]": ["999999"]}, None),
        ({"status": "x", "spoiler_text": "w" * 101}, None),
    ],
)
def test_invalid_statuses_are_422(mastodon_client, user, body, message):
    response = mastodon_client(user).post("/api/v1/statuses", body, format="multipart")
    assert response.status_code == 422, response.content
    assert response.json()["error"].startswith("Validation failed")
    if message:
        assert response.json()["error"] == message
    assert not Post.objects.exists()


def test_posting_needs_a_user_and_the_scope(mastodon_client, api_client, user):
    assert api_client.post("/api/v1/statuses", {"status": "x"}).status_code == 401
    assert mastodon_client(user, "read").post("/api/v1/statuses", {"status": "x"}).status_code == 403
    assert mastodon_client(app_token=True).post("/api/v1/statuses", {"status": "x"}).status_code == 422
    assert mastodon_client(user, "write:statuses").post("/api/v1/statuses", {"status": "x"}).status_code == 200


def test_replying_to_an_invisible_status_is_404(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    services.block_create(blocker=other_user, blocked=user)
    response = mastodon_client(user).post("/api/v1/statuses", {"status": "x", "in_reply_to_id": str(post.pk)})
    assert (response.status_code, response.json()) == (404, {"error": "Record not found"})


def test_idempotency_key_makes_a_retry_one_post(mastodon_client, user):
    client = mastodon_client(user)
    first = client.post("/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="k1")
    other_body = client.post("/api/v1/statuses", {"status": "changed"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == other_body.status_code == 200
    assert first.json()["id"] == again.json()["id"] == other_body.json()["id"]
    assert Post.objects.count() == 1
    # Keys are per user, and another key is another post.
    assert (
        mastodon_client(UserFactory()).post("/api/v1/statuses", {"status": "x"}, HTTP_IDEMPOTENCY_KEY="k1").json()["id"]
        != first.json()["id"]
    )
    assert (
        client.post("/api/v1/statuses", {"status": "x"}, HTTP_IDEMPOTENCY_KEY="k2").json()["id"] != first.json()["id"]
    )


def test_edit_source_and_history(mastodon_client, api_client, user):
    post = PostFactory(author=user, content="first")
    client = mastodon_client(user)
    response = client.put(
        f"/api/v1/statuses/{post.pk}", {"status": "second #new", "spoiler_text": "cw", "sensitive": True}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["edited_at"] is not None and body["spoiler_text"] == "cw" and body["sensitive"] is True
    assert "second" in body["content"]
    source = client.get(f"/api/v1/statuses/{post.pk}/source").json()
    assert source == {"id": str(post.pk), "text": "second #new", "spoiler_text": "cw"}
    history = api_client.get(f"/api/v1/statuses/{post.pk}/history").json()
    assert [(v["spoiler_text"], v["sensitive"]) for v in history] == [("", False), ("cw", True)]
    assert history[0]["content"] == "<p>first</p>"
    assert set(history[0]) == {
        "content", "spoiler_text", "sensitive", "created_at", "account", "poll", "media_attachments", "emojis"
    }  # fmt: skip
    assert history[0]["account"]["id"] == str(user.pk) and history[1]["created_at"].endswith("Z")


def test_edits_keep_the_media_and_refuse_changing_them(mastodon_client, user):
    media = media_services.media_create(owner=user, upload=upload())
    post = post_services.post_create(author=user, content="pic", media_ids=[media.pk])
    client = mastodon_client(user)
    kept = client.put(f"/api/v1/statuses/{post.pk}", {"status": "still", "media_ids[]": [str(media.pk)]})
    assert kept.status_code == 200, kept.content
    assert [a["id"] for a in kept.json()["media_attachments"]] == [str(media.pk)]
    removed = client.put(f"/api/v1/statuses/{post.pk}", {"status": "none", "media_ids": []}, format="json")
    assert removed.status_code == 422
    other = media_services.media_create(owner=user, upload=upload())
    refused = client.put(f"/api/v1/statuses/{post.pk}", {"media_ids": [str(other.pk)]}, format="json")
    assert refused.status_code == 422
    assert client.put(f"/api/v1/statuses/{post.pk}", {"status": ""}, format="json").status_code == 422


def test_someone_elses_status_cant_be_edited_deleted_or_sourced(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    client = mastodon_client(user)
    assert client.put(f"/api/v1/statuses/{post.pk}", {"status": "mine"}).status_code == 404
    assert client.delete(f"/api/v1/statuses/{post.pk}").status_code == 404
    assert client.get(f"/api/v1/statuses/{post.pk}/source").status_code == 404
    assert mastodon_client(other_user, "read").delete(f"/api/v1/statuses/{post.pk}").status_code == 403
    assert Post.objects.filter(pk=post.pk, edited_at__isnull=True).exists()


def test_delete_answers_the_status_with_its_source(mastodon_client, user):
    post = PostFactory(author=user, content="bye #tag")
    response = mastodon_client(user).delete(f"/api/v1/statuses/{post.pk}", {"delete_media": "true"})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["text"]) == (str(post.pk), "bye #tag")
    assert not Post.objects.filter(pk=post.pk).exists()
    assert mastodon_client(user).delete(f"/api/v1/statuses/{post.pk}").status_code == 404


def test_deleting_my_reblog_undoes_it(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    post_services.retweet_create(user=user, post=post)
    reblog_id = 2**62 + Retweet.objects.get().pk
    assert mastodon_client(other_user).delete(f"/api/v1/statuses/{reblog_id}").status_code == 404
    response = mastodon_client(user).delete(f"/api/v1/statuses/{reblog_id}")
    assert response.status_code == 200 and response.json()["reblog"]["id"] == str(post.pk)
    assert not Retweet.objects.exists() and Post.objects.filter(pk=post.pk).exists()
    assert mastodon_client(user).delete(f"/api/v1/statuses/{reblog_id}").status_code == 404


def test_favourite_and_unfavourite(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    client = mastodon_client(user, "write:favourites")
    body = client.post(f"/api/v1/statuses/{post.pk}/favourite").json()
    assert (body["favourited"], body["favourites_count"]) == (True, 1)
    assert client.post(f"/api/v1/statuses/{post.pk}/favourite").json()["favourites_count"] == 1
    body = client.post(f"/api/v1/statuses/{post.pk}/unfavourite").json()
    assert (body["favourited"], body["favourites_count"]) == (False, 0)
    assert mastodon_client(user, "write:statuses").post(f"/api/v1/statuses/{post.pk}/favourite").status_code == 403
    assert not Like.objects.exists()


def test_reblog_answers_the_reblog_and_unreblog_the_status(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    client = mastodon_client(user)
    response = client.post(f"/api/v1/statuses/{post.pk}/reblog", {"visibility": "public"})
    body = response.json()
    assert_status(body)
    retweet = Retweet.objects.get()
    assert body["id"] == str(2**62 + retweet.pk) and body["account"]["id"] == str(user.pk)
    assert body["reblog"]["id"] == str(post.pk) and body["reblog"]["reblogged"] is True and body["reblogged"] is True
    body = client.post(f"/api/v1/statuses/{post.pk}/unreblog").json()
    assert (body["id"], body["reblogged"], body["reblogs_count"]) == (str(post.pk), False, 0)


def test_reblog_refusals(mastodon_client, user, other_user):
    own = PostFactory(author=user)
    assert mastodon_client(user).post(f"/api/v1/statuses/{own.pk}/reblog").status_code == 422
    private = post_services.post_create(author=other_user, content="x", visibility="followers")
    services.follow_create(follower=user, followee=other_user)
    assert mastodon_client(user).post(f"/api/v1/statuses/{private.pk}/reblog").status_code == 403


def test_actions_on_invisible_statuses_are_404(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    services.block_create(blocker=user, blocked=other_user)
    client = mastodon_client(user)
    for action in ("favourite", "unfavourite", "reblog", "unreblog", "bookmark", "unbookmark", "pin", "unpin"):
        response = client.post(f"/api/v1/statuses/{post.pk}/{action}")
        assert (response.status_code, response.json()) == (404, {"error": "Record not found"}), action
    assert client.get(f"/api/v1/statuses/{post.pk}/history").status_code == 404
    assert client.post("/api/v1/statuses/999999/favourite").status_code == 404
    assert mastodon_client().post(f"/api/v1/statuses/{post.pk}/favourite").status_code == 401


def test_pins(mastodon_client, api_client, user, other_user):
    client = mastodon_client(user, "write:accounts read")
    posts = [PostFactory(author=user) for _ in range(6)]
    for post in posts[:5]:
        body = client.post(f"/api/v1/statuses/{post.pk}/pin").json()
        assert body["pinned"] is True
    response = client.post(f"/api/v1/statuses/{posts[5].pk}/pin")
    assert response.status_code == 422 and response.json()["error"].startswith("Validation failed")
    pinned = api_client.get(f"/api/v1/accounts/{user.pk}/statuses", {"pinned": "true"})
    assert sorted(ids(pinned)) == sorted(p.pk for p in posts[:5])
    assert client.post(f"/api/v1/statuses/{posts[0].pk}/unpin").json()["pinned"] is False
    assert client.post(f"/api/v1/statuses/{PostFactory(author=other_user).pk}/pin").status_code == 422
    private = post_services.post_create(author=user, content="x", visibility="followers")
    assert client.post(f"/api/v1/statuses/{private.pk}/pin").status_code == 422
    assert mastodon_client(user, "write:statuses").post(f"/api/v1/statuses/{posts[1].pk}/unpin").status_code == 403


def test_pinned_statuses_list_hides_what_the_viewer_may_not_see(mastodon_client, user, other_user):
    public = PostFactory(author=other_user)
    services.profile_update(user=other_user, data={"is_protected": True})
    post_services.pin_create(user=other_user, post=public)
    assert ids(mastodon_client(user).get(f"/api/v1/accounts/{other_user.pk}/statuses", {"pinned": "1"})) == []


def test_the_native_fields_are_shown(mastodon_client, user, other_user):
    post = post_services.post_create(author=other_user, content="x", spoiler_text="spoiler", sensitive=True)
    post_services.bookmark_create(user=user, post=post)
    post_services.pin_create(user=other_user, post=post)
    post_services.post_update(post=post, user=other_user, content="y")
    body = mastodon_client(user).get(f"/api/v1/statuses/{post.pk}").json()
    assert (body["spoiler_text"], body["sensitive"], body["bookmarked"], body["pinned"]) == (
        "spoiler",
        True,
        True,
        True,
    )
    assert body["edited_at"] is not None and PostEdit.objects.count() == 1
    other = mastodon_client(other_user).get(f"/api/v1/statuses/{post.pk}").json()
    assert other["bookmarked"] is False


def test_pinned_and_context_lists_have_fixed_query_counts(mastodon_client):
    def counts(n):
        me, author = UserFactory(), UserFactory()
        root = PostFactory(author=author)
        for i in range(n):
            post = PostFactory(author=author, reply_to=root)
            post_services.bookmark_create(user=me, post=post)
            if i < 5:
                post_services.pin_create(user=author, post=post)
        client = mastodon_client(me)
        paths = [f"/api/v1/accounts/{author.pk}/statuses?pinned=true", f"/api/v1/statuses/{root.pk}/context"]
        return [query_count(lambda p=p: client.get(p)) for p in paths]

    assert counts(1) == counts(20)


@pytest.mark.django_db(transaction=True)
def test_mastodon_py_posts_with_media_and_acts(live_server, mastodon_token):
    import io

    from mastodon import Mastodon

    from media.tests.images import image_bytes

    me, friend = UserFactory(), UserFactory()
    theirs = PostFactory(author=friend, content="theirs")
    client = Mastodon(
        access_token=mastodon_token(me),
        api_base_url=live_server.url,
        version_check_mode="none",
        ratelimit_method="pace",
    )
    media = client.media_post(
        io.BytesIO(image_bytes()), mime_type="image/png", file_name="pic.png", description="alt", focus=(0.5, -0.5)
    )
    assert media.url and media.description == "alt" and media.meta.focus.x == 0.5
    status = client.status_post(
        "with a picture", media_ids=[media], spoiler_text="cw", sensitive=True, idempotency_key="one"
    )
    assert int(client.status_post("with a picture", media_ids=[media], idempotency_key="one").id) == int(status.id)
    assert status.media_attachments[0].description == "alt" and status.spoiler_text == "cw"
    edited = client.status_update(status.id, "edited text", spoiler_text="cw", media_ids=[media])
    assert edited.edited_at is not None
    assert [version.sensitive for version in client.status_history(status.id)] == [True, True]
    assert client.status_source(status.id).text == "edited text"
    assert int(client.status_reply(client.status(theirs.pk), "a reply").in_reply_to_id) == theirs.pk
    assert client.status_favourite(theirs.pk).favourited is True
    reblog = client.status_reblog(theirs.pk)
    assert int(reblog.reblog.id) == theirs.pk and reblog.reblogged is True
    assert client.status_bookmark(theirs.pk).bookmarked is True
    assert [int(s.id) for s in client.bookmarks()] == [theirs.pk]
    assert client.status_pin(status.id).pinned is True
    assert [int(s.id) for s in client.account_statuses(me.pk, pinned=True)] == [int(status.id)]
    assert client.status_unreblog(theirs.pk).reblogged is False
    assert client.status_delete(status.id).text == "edited text"
