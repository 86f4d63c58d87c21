"""Bookmarks, pinned posts, content warnings and edit history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Bookmark, Post, PostEdit
from posts.tests.factories import PostFactory
from posts.tests.reads import listed_ids
from users.services import block_create
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(post, action: str = "") -> str:
    return f"/api/posts/{post.id}/{action + '/' if action else ''}"


# --- Bookmarks -----------------------------------------------------------------------------------


def test_bookmark_and_unbookmark_are_idempotent_and_for_the_viewer_only(client_for, user, other_user):
    post = PostFactory(author=other_user)
    client = client_for(user)
    for _ in range(2):
        response = client.post(url(post, "bookmark"))
        assert response.status_code == 200
        assert response.json()["id"] == post.id and response.json()["is_bookmarked"] is True
    assert Bookmark.objects.filter(user=user, post=post).count() == 1
    # Only the one who bookmarked sees it so; the author is not told.
    assert client_for(other_user).get(url(post)).json()["is_bookmarked"] is False
    assert client.get(url(post)).json()["is_bookmarked"] is True
    for _ in range(2):
        response = client.post(url(post, "unbookmark"))
        assert response.status_code == 200 and response.json()["is_bookmarked"] is False
    assert not Bookmark.objects.exists()


def test_bookmarks_need_auth_and_a_visible_post(api_client, client_for, user, other_user):
    post = PostFactory(author=other_user)
    for action in ("bookmark", "unbookmark"):
        assert api_client.post(url(post, action)).status_code == 401
        assert client_for(user).post(f"/api/posts/999999/{action}/").status_code == 404
    assert api_client.get("/api/posts/bookmarks/").status_code == 401
    block_create(blocker=other_user, blocked=user)
    for action in ("bookmark", "unbookmark"):
        assert client_for(user).post(url(post, action)).status_code == 404


def test_my_bookmarks_most_recently_bookmarked_first(client_for, user):
    older, newer = PostFactory(), PostFactory()
    client = client_for(user)
    client.post(url(newer, "bookmark"))
    client.post(url(older, "bookmark"))
    PostFactory()  # not bookmarked
    client_for(UserFactory()).post(url(newer, "bookmark"))  # someone else's bookmark
    body = client.get("/api/posts/bookmarks/").json()
    assert [p["id"] for p in body["results"]] == [older.id, newer.id]
    assert all(p["is_bookmarked"] for p in body["results"])
    assert body["previous"] is None and body["next"] is None


def test_bookmarks_of_posts_i_may_no_longer_see_are_left_out(client_for, user, other_user):
    post, kept = PostFactory(author=other_user), PostFactory()
    client = client_for(user)
    client.post(url(post, "bookmark"))
    client.post(url(kept, "bookmark"))
    block_create(blocker=other_user, blocked=user)
    assert listed_ids(client.get("/api/posts/bookmarks/")) == [kept.id]


def test_bookmarks_walk_forward_and_back_by_cursor(client_for, user):
    posts = [PostFactory() for _ in range(5)]
    client = client_for(user)
    for post in (posts[1], posts[4], posts[0], posts[3], posts[2]):  # not in the posts' order
        client.post(url(post, "bookmark"))
    expected = [posts[i].id for i in (2, 3, 0, 4, 1)]
    client = client_for(user)
    pages = [client.get("/api/posts/bookmarks/", {"page_size": 2}).json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    assert [p["id"] for page in pages for p in page["results"]] == expected
    assert [len(page["results"]) for page in pages] == [2, 2, 1]
    back = [client.get(pages[-1]["previous"]).json()]
    while back[-1]["previous"]:
        back.append(client.get(back[-1]["previous"]).json())
    assert [[p["id"] for p in page["results"]] for page in back] == [
        [p["id"] for p in page["results"]] for page in reversed(pages[:-1])
    ]
    assert client.get("/api/posts/bookmarks/", {"cursor": "garbage"}).status_code == 400


def test_bookmarks_list_runs_a_fixed_number_of_queries(client_for, user, django_assert_max_num_queries):
    client = client_for(user)
    client.post(url(PostFactory(content="#tag @" + user.username), "bookmark"))
    with django_assert_max_num_queries(5) as first:
        assert len(client.get("/api/posts/bookmarks/").json()["results"]) == 1
    queries_for_one = len(first.captured_queries)
    for _ in range(19):
        client.post(url(PostFactory(content="#tag @" + user.username), "bookmark"))
    with django_assert_max_num_queries(queries_for_one):
        assert len(client.get("/api/posts/bookmarks/").json()["results"]) == 20


def test_deleting_a_post_removes_its_bookmarks(client_for, user, other_user):
    post = PostFactory(author=other_user)
    client_for(user).post(url(post, "bookmark"))
    assert client_for(other_user).delete(url(post)).status_code == 204
    assert not Bookmark.objects.exists()
    assert listed_ids(client_for(user).get("/api/posts/bookmarks/")) == []


def test_is_bookmarked_in_the_feed_follows_bookmarks_through_the_cache(
    client_for, user, other_user, django_capture_on_commit_callbacks
):
    client = client_for(user)
    client.post(f"/api/users/{other_user.id}/follow/")
    post = PostFactory(author=other_user)

    def flag() -> bool:
        (item,) = client.get("/api/posts/feed/").json()["results"]
        return item["is_bookmarked"]

    assert flag() is False  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(post, "bookmark"))
    assert flag() is True
    assert client_for(other_user).get("/api/posts/feed/").json()["results"][0]["is_bookmarked"] is False
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(post, "unbookmark"))
    assert flag() is False


# --- Pins ----------------------------------------------------------------------------------------


def test_pin_and_unpin_own_post_are_idempotent_and_shown_to_everyone(client_for, api_client, user):
    post = PostFactory(author=user)
    client = client_for(user)
    for _ in range(2):
        response = client.post(url(post, "pin"))
        assert response.status_code == 200 and response.json()["is_pinned"] is True
    assert api_client.get(url(post)).json()["is_pinned"] is True
    assert client_for(UserFactory()).get(url(post)).json()["is_pinned"] is True
    for _ in range(2):
        response = client.post(url(post, "unpin"))
        assert response.status_code == 200 and response.json()["is_pinned"] is False
    assert Post.objects.get(pk=post.pk).pinned_at is None


def test_pins_are_for_own_visible_posts_and_need_auth(api_client, client_for, user, other_user):
    theirs = PostFactory(author=other_user)
    for action in ("pin", "unpin"):
        assert api_client.post(url(theirs, action)).status_code == 401
        assert client_for(user).post(url(theirs, action)).status_code == 403
        assert client_for(user).post(f"/api/posts/999999/{action}/").status_code == 404
    block_create(blocker=other_user, blocked=user)
    for action in ("pin", "unpin"):
        assert client_for(user).post(url(theirs, action)).status_code == 404
    assert Post.objects.get(pk=theirs.pk).pinned_at is None


def test_a_sixth_pin_is_400(client_for, user):
    client = client_for(user)
    posts = [PostFactory(author=user) for _ in range(6)]
    for post in posts[:5]:
        assert client.post(url(post, "pin")).status_code == 200
    response = client.post(url(posts[5], "pin"))
    assert response.status_code == 400
    assert response.json() == {"detail": "You can pin at most 5 posts."}
    assert client.post(url(posts[0], "pin")).status_code == 200  # pinned already: no change
    client.post(url(posts[0], "unpin"))
    assert client.post(url(posts[5], "pin")).status_code == 200


def test_an_authors_pinned_posts_most_recently_pinned_first(client_for, api_client, user):
    first, second, unpinned = (PostFactory(author=user) for _ in range(3))
    PostFactory(author=UserFactory())
    client = client_for(user)
    client.post(url(second, "pin"))
    Post.objects.filter(pk=second.pk).update(pinned_at=timezone.now() - timedelta(minutes=1))
    client.post(url(first, "pin"))
    response = api_client.get("/api/posts/", {"author": user.id, "pinned": "true"})
    assert listed_ids(response) == [first.id, second.id]
    assert listed_ids(api_client.get("/api/posts/", {"author": user.id, "pinned": "false"})) == [
        unpinned.id,
        second.id,
        first.id,
    ]
    response = api_client.get("/api/posts/", {"pinned": "true"})
    assert response.status_code == 400 and "pinned" in response.json()


def test_pinned_list_runs_a_fixed_number_of_queries(client_for, api_client, user, django_assert_max_num_queries):
    from posts import services

    def pin_one():
        services.pin_create(user=user, post=PostFactory(author=user, content="#tag @" + user.username))

    pin_one()
    viewer = client_for(UserFactory())
    params = {"author": user.id, "pinned": "true"}
    with django_assert_max_num_queries(6) as first:
        assert len(viewer.get("/api/posts/", params).json()["results"]) == 1
    queries_for_one = len(first.captured_queries)
    for _ in range(4):
        pin_one()
    # At most five are pinned: the other posts are not, and not listed.
    for _ in range(15):
        PostFactory(author=user, content="#tag @" + user.username)
    with django_assert_max_num_queries(queries_for_one):
        assert len(viewer.get("/api/posts/", params).json()["results"]) == 5
    with django_assert_max_num_queries(queries_for_one):
        assert len(viewer.get("/api/posts/", {"author": user.id}).json()["results"]) == 20


def test_is_pinned_in_the_feed_follows_pins_through_the_cache(client_for, user, django_capture_on_commit_callbacks):
    client = client_for(user)
    post = PostFactory(author=user)
    assert client.get("/api/posts/feed/").json()["results"][0]["is_pinned"] is False  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(post, "pin"))
    assert client.get("/api/posts/feed/").json()["results"][0]["is_pinned"] is True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(post, "unpin"))
    assert client.get("/api/posts/feed/").json()["results"][0]["is_pinned"] is False


def test_deleting_a_pinned_post_frees_its_place(client_for, user):
    client = client_for(user)
    posts = [PostFactory(author=user) for _ in range(6)]
    for post in posts[:5]:
        client.post(url(post, "pin"))
    assert client.delete(url(posts[0])).status_code == 204
    assert client.post(url(posts[5], "pin")).status_code == 200


# --- Content warnings ----------------------------------------------------------------------------


def test_content_warning_and_sensitive_on_create(auth_client, api_client):
    response = auth_client.post(
        "/api/posts/", {"content": "the ending", "spoiler_text": "  film spoilers ", "sensitive": True}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["spoiler_text"], body["sensitive"]) == ("film spoilers", True)
    assert api_client.get(f"/api/posts/{body['id']}/").json()["spoiler_text"] == "film spoilers"
    plain = auth_client.post("/api/posts/", {"content": "plain"}, format="json").json()
    assert (plain["spoiler_text"], plain["sensitive"]) == ("", False)


@pytest.mark.parametrize(
    "body",
    [
        {"spoiler_text": "x" * 101},
        {"spoiler_text": "bad\x00"},
        {"spoiler_text": None},
        {"sensitive": "perhaps"},
    ],
)
def test_bad_content_warning_is_400(auth_client, body):
    response = auth_client.post("/api/posts/", {"content": "hello", **body}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(body)
    assert not Post.objects.exists()


def test_a_content_warning_of_100_characters_is_fine(auth_client):
    response = auth_client.post("/api/posts/", {"content": "hello", "spoiler_text": "é" * 100}, format="json")
    assert response.status_code == 201


# --- Edits and history ---------------------------------------------------------------------------


def test_history_of_a_post_never_edited_is_its_one_version(api_client, user):
    post = PostFactory(author=user, content="first #words")
    response = api_client.get(url(post, "history"))
    assert response.status_code == 200
    (version,) = response.json()
    assert version == {
        "content": "first #words",
        "spoiler_text": "",
        "sensitive": False,
        "media": [],
        "created_at": api_client.get(url(post)).json()["created_at"],
    }


def test_history_after_two_edits_oldest_first(client_for, api_client, user):
    client = client_for(user)
    post = PostFactory(author=user, content="one")
    created_at = client.get(url(post)).json()["created_at"]
    assert client.put(url(post), {"content": "two", "spoiler_text": "cw"}, format="json").status_code == 200
    first_edit = client.get(url(post)).json()["edited_at"]
    response = client.patch(url(post), {"sensitive": True}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["content"], body["spoiler_text"], body["sensitive"]) == ("two", "cw", True)
    versions = api_client.get(url(post, "history")).json()
    assert [(v["content"], v["spoiler_text"], v["sensitive"]) for v in versions] == [
        ("one", "", False),
        ("two", "cw", False),
        ("two", "cw", True),
    ]
    assert [v["created_at"] for v in versions] == [created_at, first_edit, body["edited_at"]]
    assert PostEdit.objects.filter(post=post).count() == 2


def test_history_keeps_the_media_and_their_alt_text_as_they_were(client_for, api_client, user):
    from media.models import Media

    client = client_for(user)
    post = PostFactory(author=user)
    media = Media.objects.create(
        owner=user, post=post, file="m/a.png", content_type="image/png", width=1, height=2, size=3, description="old"
    )
    client.patch(url(post), {"content": "edited"}, format="json")
    assert client.patch(f"/api/media/{media.id}/", {"description": "new"}, format="json").status_code == 200
    versions = api_client.get(url(post, "history")).json()
    assert [[m["description"] for m in v["media"]] for v in versions] == [["old"], ["new"]]
    assert versions[0]["media"][0]["url"] == "http://testserver/media/m/a.png"


def test_history_of_an_invisible_or_unknown_post_is_404(client_for, api_client, user, other_user):
    post = PostFactory(author=other_user)
    assert api_client.get("/api/posts/999999/history/").status_code == 404
    block_create(blocker=other_user, blocked=user)
    assert client_for(user).get(url(post, "history")).status_code == 404
    assert api_client.get(url(post, "history")).status_code == 200


def test_edits_check_the_content_warning_and_keep_no_version_when_refused(client_for, user, other_user):
    post = PostFactory(author=user)
    client = client_for(user)
    assert client.patch(url(post), {"spoiler_text": "x" * 101}, format="json").status_code == 400
    assert client.patch(url(post), {}, format="json").status_code == 400
    assert client.put(url(post), {"spoiler_text": "cw"}, format="json").status_code == 400  # PUT needs content
    assert client_for(other_user).patch(url(post), {"sensitive": True}, format="json").status_code == 403
    assert not PostEdit.objects.exists()


def test_history_runs_a_fixed_number_of_queries(client_for, api_client, user, django_assert_max_num_queries):
    client = client_for(user)
    post = PostFactory(author=user)
    client.patch(url(post), {"content": "edit 1"}, format="json")
    with django_assert_max_num_queries(6) as first:
        assert len(api_client.get(url(post, "history")).json()) == 2
    queries_for_one = len(first.captured_queries)
    for n in range(2, 20):
        client.patch(url(post), {"content": f"edit {n}"}, format="json")
    with django_assert_max_num_queries(queries_for_one):
        assert len(api_client.get(url(post, "history")).json()) == 20


def test_deleting_a_post_removes_its_history(client_for, user):
    client = client_for(user)
    post = PostFactory(author=user)
    client.patch(url(post), {"content": "edited"}, format="json")
    assert client.delete(url(post)).status_code == 204
    assert not PostEdit.objects.exists()
