"""Posts: create, read, edit, delete, likes, retweets, replies, hashtags and mentions."""

import pytest

from posts.models import Hashtag, Like, Mention, Post, PostHashtag, Retweet
from posts.tests.factories import PostFactory
from users.models import Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POST_FIELDS = {
    "id",
    "author",
    "content",
    "created_at",
    "edited_at",
    "reply_to",
    "likes_count",
    "retweets_count",
    "replies_count",
    "visibility",
    "spoiler_text",
    "sensitive",
    "hashtags",
    "mentions",
    "media",
    "is_pinned",
    "is_liked",
    "is_retweeted",
    "is_bookmarked",
}


def create(client, content, **extra):
    return client.post("/api/posts/", {"content": content, **extra}, format="json")


def test_create_post(auth_client, user):
    response = create(auth_client, "  Hello #World and #world, hi @Bob!  ")
    UserFactory(username="bob")  # created after: not mentioned
    assert response.status_code == 201
    body = response.json()
    assert set(body) == POST_FIELDS
    assert body["content"] == "Hello #World and #world, hi @Bob!"
    assert body["author"] == {"id": user.id, "username": user.username, "display_name": "", "avatar": None}
    assert body["hashtags"] == ["world"]
    assert body["mentions"] == []
    assert body["media"] == []
    assert body["reply_to"] is None and body["edited_at"] is None
    assert (body["likes_count"], body["retweets_count"], body["replies_count"]) == (0, 0, 0)
    assert body["is_liked"] is False and body["is_retweeted"] is False
    assert Profile.objects.get(pk=user.pk).posts_count == 1


def test_a_post_and_a_feed_item_have_the_documented_fields_in_order(auth_client, user):
    """The representation (``post_render``/``feed_item_render``) and the serializers' declared fields,
    which the API documentation shows, are one shape."""
    from posts.serializers import FeedItemSerializer, PostSerializer

    post_id = create(auth_client, "hi #there").json()["id"]
    assert list(auth_client.get(f"/api/posts/{post_id}/").json()) == list(PostSerializer.Meta.fields)
    assert list(PostSerializer().get_fields()) == list(PostSerializer.Meta.fields)
    item = auth_client.get("/api/posts/feed/").json()["results"][0]
    assert list(item) == list(FeedItemSerializer.Meta.fields) == list(FeedItemSerializer().get_fields())


def test_a_posts_author_and_media_have_the_users_and_medias_own_shapes(auth_client, user):
    """The short user form and the attached image are built from plain data for the feed's cache;
    they render as users' ``UserShortSerializer`` and media's ``PostMediaSerializer`` do."""
    from rest_framework.test import APIRequestFactory

    from media.models import Media
    from media.serializers import PostMediaSerializer
    from users.serializers import UserShortSerializer

    Profile.objects.filter(pk=user.pk).update(display_name="Me", avatar="avatars/me.png")
    post_id = create(auth_client, "with a picture").json()["id"]
    media = Media.objects.create(
        owner=user, post_id=post_id, position=0, file="m/a.png", content_type="image/png", width=1, height=2, size=3
    )
    body = auth_client.get(f"/api/posts/{post_id}/").json()
    context = {"request": APIRequestFactory().get("/")}
    user.refresh_from_db()
    assert body["author"] == UserShortSerializer(user, context=context).data
    assert body["media"] == [PostMediaSerializer(media, context=context).data]
    assert body["author"]["avatar"] == "http://testserver/media/avatars/me.png"
    assert body["media"][0]["thumbnail_url"] is None


def test_create_post_with_mentions(auth_client):
    bob = UserFactory(username="Bob")
    alice = UserFactory(username="alice.w")
    body = create(auth_client, "cc @bob, @ALICE.W. and @nobody; mail me@example.com").json()
    assert body["mentions"] == [{"id": alice.id, "username": "alice.w"}, {"id": bob.id, "username": "Bob"}]
    assert Mention.objects.count() == 2


def test_unicode_hashtags_and_no_tag_inside_words(auth_client):
    body = create(auth_client, "#Café a#b 7#c #日本 #x_1 ##dup _#und (#paren) é#no").json()
    assert sorted(body["hashtags"]) == sorted(["café", "日本", "x_1", "dup", "und", "paren"])


def test_content_counts_unicode_characters(auth_client):
    assert create(auth_client, "é" * 280).status_code == 201
    assert create(auth_client, "😀" * 280).status_code == 201


@pytest.mark.parametrize("content", ["x" * 281, "   ", "", "\n\t"])
def test_bad_content_is_400(auth_client, content):
    response = create(auth_client, content)
    assert response.status_code == 400
    assert "content" in response.json()
    assert not Post.objects.exists()


def test_content_with_nul_byte_is_400(auth_client):
    assert create(auth_client, "bad\x00byte").status_code == 400


def test_missing_content_is_400(auth_client):
    assert auth_client.post("/api/posts/", {}, format="json").status_code == 400


def test_create_runs_a_fixed_number_of_queries_and_answers_as_a_read_would(django_assert_num_queries):
    """Two hashtags (one new, one known) and a mention, with a bearer token: on PostgreSQL the
    user and their profile (1), the post (1), its hashtags, mention and counters (1), in the
    savepoint of the test's transaction (2: 5 in all; a request's own transaction, 2 more, and
    one INSERT for its outbox rows when a broker is configured). SQLite takes the plain path, 12:
    three queries for the hashtags, two to lock and count them, two for the mention, one for the
    author's count."""
    from django.db import connection
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    author, mentioned = UserFactory(), UserFactory(username="Someone")
    Hashtag.objects.create(name="one", posts_count=4)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(author)}")
    expected = 5 if connection.vendor == "postgresql" else 12
    with django_assert_num_queries(expected):
        response = client.post("/api/posts/", {"content": "hello #One #two @someone"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body == client.get(f"/api/posts/{body['id']}/").json()
    assert body["hashtags"] == ["one", "two"]
    assert body["mentions"] == [{"id": mentioned.id, "username": "Someone"}]
    assert dict(Hashtag.objects.values_list("name", "posts_count")) == {"one": 5, "two": 1}
    assert Profile.objects.get(pk=author.pk).posts_count == 1
    assert list(Mention.objects.values_list("post_id", "user_id")) == [(body["id"], mentioned.id)]


def test_create_without_hashtags_or_mentions_counts_its_author_only(auth_client, user):
    response = auth_client.post("/api/posts/", {"content": "plain words"}, format="json")
    assert response.status_code == 201
    assert (response.json()["hashtags"], response.json()["mentions"]) == ([], [])
    assert Profile.objects.get(pk=user.pk).posts_count == 1
    assert not Hashtag.objects.exists() and not Mention.objects.exists()


def test_create_requires_auth(api_client):
    assert create(api_client, "hi").status_code == 401


def test_unknown_media_ids_are_400(auth_client):
    response = create(auth_client, "with media", media_ids=[1])
    assert response.status_code == 400
    assert "media_ids" in response.json()
    assert create(auth_client, "too many", media_ids=[1, 2, 3, 4, 5]).status_code == 400
    assert not Post.objects.exists()


def test_reply(auth_client, other_user):
    parent = PostFactory(author=other_user)
    response = create(auth_client, "a reply", reply_to=parent.id)
    assert response.status_code == 201
    assert response.json()["reply_to"] == parent.id
    parent.refresh_from_db()
    assert parent.replies_count == 1


def test_reply_to_unknown_post_is_400(auth_client):
    response = create(auth_client, "into the void", reply_to=999999)
    assert response.status_code == 400
    assert "reply_to" in response.json()


def test_retrieve_post_is_public(api_client):
    post = PostFactory(content="public #tag")
    response = api_client.get(f"/api/posts/{post.id}/")
    assert response.status_code == 200
    assert response.json()["hashtags"] == ["tag"]
    assert response.json()["is_liked"] is False


def test_unknown_post_is_404(api_client):
    assert api_client.get("/api/posts/123456/").status_code == 404


def test_edit_reparses_and_sets_edited_at(auth_client, user):
    carol = UserFactory(username="carol")
    post = PostFactory(author=user, content="#old tag")
    response = auth_client.patch(f"/api/posts/{post.id}/", {"content": "#new tag for @carol"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["hashtags"] == ["new"]
    assert body["mentions"] == [{"id": carol.id, "username": "carol"}]
    assert body["edited_at"] is not None
    assert Hashtag.objects.get(name="old").posts_count == 0
    assert Hashtag.objects.get(name="new").posts_count == 1
    put = auth_client.put(f"/api/posts/{post.id}/", {"content": "plain"}, format="json")
    assert put.status_code == 200 and put.json()["hashtags"] == [] and put.json()["mentions"] == []


@pytest.mark.parametrize("body", [{"content": "hacked"}, {"content": ""}, {}, {"content": "x" * 300}])
def test_edit_someone_elses_post_is_403_whatever_the_body(auth_client, other_user, body):
    post = PostFactory(author=other_user, content="mine")
    for method in (auth_client.patch, auth_client.put):
        response = method(f"/api/posts/{post.id}/", body, format="json")
        assert response.status_code == 403
        assert response.json() == {"detail": "You can only change your own content."}
    post.refresh_from_db()
    assert post.content == "mine"


def test_edit_with_bad_content_is_400(auth_client, user):
    post = PostFactory(author=user)
    assert auth_client.patch(f"/api/posts/{post.id}/", {"content": "x" * 281}, format="json").status_code == 400
    assert auth_client.patch(f"/api/posts/{post.id}/", {}, format="json").status_code == 400


def test_edit_or_delete_unknown_post_is_404(auth_client):
    assert auth_client.patch("/api/posts/99999/", {"content": "x"}, format="json").status_code == 404
    assert auth_client.delete("/api/posts/99999/").status_code == 404


def test_anonymous_cannot_edit_or_delete(api_client):
    post = PostFactory()
    assert api_client.patch(f"/api/posts/{post.id}/", {"content": "x"}, format="json").status_code == 401
    assert api_client.delete(f"/api/posts/{post.id}/").status_code == 401


def test_delete_post_keeps_replies_with_null_reply_to(auth_client, user, other_user):
    post = PostFactory(author=user, content="parent #gone")
    reply = PostFactory(author=other_user, content="child", reply_to=post)
    Like.objects.create(user=other_user, post=post)
    response = auth_client.delete(f"/api/posts/{post.id}/")
    assert response.status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()
    reply.refresh_from_db()
    assert reply.reply_to is None
    assert Profile.objects.get(pk=user.pk).posts_count == 0
    assert Hashtag.objects.get(name="gone").posts_count == 0
    assert not Like.objects.exists()


def test_deleting_a_reply_decrements_the_parent_count(client_for, user, other_user):
    parent = PostFactory(author=user)
    reply = PostFactory(author=other_user, reply_to=parent)
    assert client_for(other_user).delete(f"/api/posts/{reply.id}/").status_code == 204
    parent.refresh_from_db()
    assert parent.replies_count == 0


def test_delete_someone_elses_post_is_403(auth_client, other_user):
    post = PostFactory(author=other_user)
    assert auth_client.delete(f"/api/posts/{post.id}/").status_code == 403
    assert Post.objects.filter(pk=post.pk).exists()


def test_like_and_unlike_are_idempotent(auth_client, user, other_user):
    post = PostFactory(author=other_user)
    first = auth_client.post(f"/api/posts/{post.id}/like/")
    assert first.status_code == 200
    assert first.json()["likes_count"] == 1 and first.json()["is_liked"] is True
    assert auth_client.post(f"/api/posts/{post.id}/like/").json()["likes_count"] == 1
    assert Like.objects.filter(user=user, post=post).count() == 1
    unliked = auth_client.post(f"/api/posts/{post.id}/unlike/")
    assert unliked.status_code == 200
    assert unliked.json()["likes_count"] == 0 and unliked.json()["is_liked"] is False
    assert auth_client.post(f"/api/posts/{post.id}/unlike/").json()["likes_count"] == 0


def test_like_own_post_is_allowed(auth_client, user):
    post = PostFactory(author=user)
    assert auth_client.post(f"/api/posts/{post.id}/like/").json()["likes_count"] == 1


@pytest.mark.parametrize("action", ["like", "unlike", "retweet", "unretweet"])
def test_reactions_to_an_unknown_post_are_404_and_need_auth(auth_client, api_client, action):
    assert auth_client.post(f"/api/posts/4242/{action}/").status_code == 404
    post = PostFactory()
    assert api_client.post(f"/api/posts/{post.id}/{action}/").status_code == 401


@pytest.mark.parametrize("action", ["like", "unlike", "retweet", "unretweet"])
def test_reactions_run_a_fixed_number_of_queries(client_for, other_user, action, django_assert_max_num_queries):
    post = PostFactory(author=other_user)
    PostFactory.create_batch(3, reply_to=post)
    client = client_for(UserFactory())
    with django_assert_max_num_queries(10):  # like/retweet 10, unlike/unretweet 8, whatever the replies
        assert client.post(f"/api/posts/{post.id}/{action}/").status_code == 200


def test_retweet_and_unretweet(auth_client, user, other_user):
    post = PostFactory(author=other_user)
    response = auth_client.post(f"/api/posts/{post.id}/retweet/")
    assert response.status_code == 200
    assert response.json()["retweets_count"] == 1 and response.json()["is_retweeted"] is True
    assert auth_client.post(f"/api/posts/{post.id}/retweet/").json()["retweets_count"] == 1
    assert Retweet.objects.count() == 1
    undone = auth_client.post(f"/api/posts/{post.id}/unretweet/")
    assert undone.json()["retweets_count"] == 0 and undone.json()["is_retweeted"] is False
    assert auth_client.post(f"/api/posts/{post.id}/unretweet/").status_code == 200


def test_retweet_own_post_is_400(auth_client, user):
    post = PostFactory(author=user)
    response = auth_client.post(f"/api/posts/{post.id}/retweet/")
    assert response.status_code == 400
    assert response.json() == {"detail": "You cannot retweet your own post."}
    assert not Retweet.objects.exists()


def test_replies_oldest_first(api_client):
    parent = PostFactory()
    replies = [PostFactory(reply_to=parent) for _ in range(3)]
    PostFactory()  # not a reply
    response = api_client.get(f"/api/posts/{parent.id}/replies/")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [r.id for r in replies]
    assert all(p["reply_to"] == parent.id for p in response.json()["results"])


def test_replies_of_unknown_post_is_404(api_client):
    assert api_client.get("/api/posts/999/replies/").status_code == 404


def test_post_list_newest_first_with_filters(api_client):
    alice = UserFactory(username="alice")
    first = PostFactory(author=alice, content="about #Django")
    second = PostFactory(content="about #python")
    third = PostFactory(author=alice, content="more #django news")
    listing = api_client.get("/api/posts/").json()
    assert set(listing) == {"next", "previous", "results"}
    assert [p["id"] for p in listing["results"]] == [third.id, second.id, first.id]
    by_author = api_client.get("/api/posts/", {"author": alice.id}).json()["results"]
    assert [p["id"] for p in by_author] == [third.id, first.id]
    by_tag = api_client.get("/api/posts/", {"hashtag": "DJANGO"}).json()["results"]
    assert [p["id"] for p in by_tag] == [third.id, first.id]
    by_text = api_client.get("/api/posts/", {"search": "news"}).json()["results"]
    assert [p["id"] for p in by_text] == [third.id]


def test_post_list_date_filters(api_client):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    old = PostFactory(created_at=now - timedelta(days=3))
    new = PostFactory()
    after = api_client.get("/api/posts/", {"created_after": (now - timedelta(days=1)).isoformat()}).json()
    assert [p["id"] for p in after["results"]] == [new.id]
    before = api_client.get("/api/posts/", {"created_before": (now - timedelta(days=1)).isoformat()}).json()
    assert [p["id"] for p in before["results"]] == [old.id]
    assert api_client.get("/api/posts/", {"created_after": "yesterday"}).status_code == 400
    assert api_client.get("/api/posts/", {"author": "abc"}).status_code == 400


def test_post_list_cursor_pages_are_stable_when_new_posts_arrive(api_client):
    posts = [PostFactory() for _ in range(5)]
    first = api_client.get("/api/posts/", {"page_size": 2}).json()
    assert [p["id"] for p in first["results"]] == [posts[4].id, posts[3].id]
    PostFactory()  # arrives between pages
    second = api_client.get(first["next"]).json()
    assert [p["id"] for p in second["results"]] == [posts[2].id, posts[1].id]


def test_invalid_cursor_is_400(api_client):
    response = api_client.get("/api/posts/", {"cursor": "garbage"})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_viewer_flags(client_for, user, other_user):
    post = PostFactory(author=other_user)
    client = client_for(user)
    client.post(f"/api/posts/{post.id}/like/")
    client.post(f"/api/posts/{post.id}/retweet/")
    mine = client.get("/api/posts/").json()["results"][0]
    assert mine["is_liked"] is True and mine["is_retweeted"] is True
    theirs = client_for(UserFactory()).get("/api/posts/").json()["results"][0]
    assert theirs["is_liked"] is False and theirs["is_retweeted"] is False


def test_hashtag_posts(api_client):
    tagged = PostFactory(content="#Rust rocks")
    PostFactory(content="no tags")
    response = api_client.get("/api/hashtags/RUST/posts/")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [tagged.id]
    assert api_client.get("/api/hashtags/unused/posts/").json()["results"] == []


def test_hashtag_rows_are_lower_case_and_unique(auth_client):
    create(auth_client, "#Tag")
    create(auth_client, "#TAG again")
    assert list(Hashtag.objects.values_list("name", "posts_count")) == [("tag", 2)]
    assert PostHashtag.objects.count() == 2


@pytest.mark.parametrize(
    "url",
    ["/api/posts/", "/api/posts/{id}/replies/", "/api/hashtags/tag/posts/", "/api/search/?q=tag&type=posts"],
)
def test_post_lists_run_a_fixed_number_of_queries(client_for, django_assert_max_num_queries, url):
    parent = PostFactory(content="#tag parent")
    viewer = client_for(UserFactory())
    url = url.format(id=parent.id)
    PostFactory(content="#tag reply @" + parent.author.username, reply_to=parent)
    with django_assert_max_num_queries(5) as first:
        assert len(viewer.get(url).json()["results"]) >= 1
    queries_for_one = len(first.captured_queries)
    for _ in range(19):
        PostFactory(content="#tag reply @" + parent.author.username, reply_to=parent)
    with django_assert_max_num_queries(queries_for_one):
        assert len(viewer.get(url).json()["results"]) == 20


def test_cached_short_user_forms_go_only_when_what_they_show_changes(
    auth_client, user, django_capture_on_commit_callbacks
):
    from unittest import mock

    url = "/api/users/profiles/update_my_profile/"
    with mock.patch("posts.signals.hydration.forget_users") as forget:
        with django_capture_on_commit_callbacks(execute=True):
            assert auth_client.patch(url, {"bio": "new bio", "location": "Oslo"}, format="json").status_code == 200
        forget.assert_not_called()
        with django_capture_on_commit_callbacks(execute=True):
            assert auth_client.patch(url, {"display_name": "New Name"}, format="json").status_code == 200
        forget.assert_called_with([user.pk])
