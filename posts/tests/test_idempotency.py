"""Creating a post with an ``Idempotency-Key``: a retry within the hour returns the first post and
creates nothing, on the JWT API and the microblog API alike."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from microblog.tests.test_microblog import key_client
from posts.models import Hashtag, Post
from posts.tests.factories import PostFactory
from tests.support import run_in_threads
from users.models import Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POSTS = "/api/posts/"


def create(client, content="hello #retry", key=None, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(POSTS, {"content": content, **body}, format="json", **headers)


def test_retry_with_the_same_key_returns_the_same_post_and_creates_nothing(client_for, user):
    client = client_for(user)
    first = create(client, key="k-1")
    assert first.status_code == 201, first.content
    again = create(client, key="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Post.objects.filter(author=user).count() == 1
    assert Profile.objects.get(pk=user.pk).posts_count == 1
    assert Hashtag.objects.get(name="retry").posts_count == 1


def test_a_retry_of_a_reply_whose_post_was_deleted_since_still_returns_the_reply(client_for, user):
    parent = PostFactory()
    client = client_for(user)
    first = create(client, key="k", reply_to=parent.id)
    parent.delete()
    again = create(client, key="k", reply_to=parent.id)
    assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])


def test_other_keys_or_no_key_create_new_posts(client_for, user):
    client = client_for(user)
    ids = {create(client, key=key).json()["id"] for key in ("a", "b", None, None)}
    assert len(ids) == 4 == Post.objects.filter(author=user).count()


def test_keys_are_per_user(client_for, user, other_user):
    mine = create(client_for(user), key="shared").json()
    theirs = create(client_for(other_user), key="shared").json()
    assert mine["id"] != theirs["id"]
    assert (mine["author"]["id"], theirs["author"]["id"]) == (user.id, other_user.id)


def test_a_key_older_than_an_hour_is_free_again(client_for, user):
    client = client_for(user)
    old = create(client, key="k").json()
    Post.objects.filter(pk=old["id"]).update(
        created_at=Post.objects.get(pk=old["id"]).created_at - timedelta(minutes=61)
    )
    new = create(client, key="k")
    assert new.status_code == 201 and new.json()["id"] != old["id"]
    assert create(client, key="k").json()["id"] == new.json()["id"]  # and now stands for the new post
    assert Post.objects.filter(author=user).count() == 2


@pytest.mark.parametrize("key", ["x" * 256, "", "a\x00b", "tab\tkey", "clé"])
def test_an_over_long_empty_or_non_printable_key_is_400_and_creates_nothing(client_for, user, key):
    response = create(client_for(user), key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Post.objects.exists()


def test_a_key_of_255_characters_is_taken(client_for, user):
    client = client_for(user)
    assert create(client, key="x" * 255).json()["id"] == create(client, key="x" * 255).json()["id"]


def test_a_retry_with_another_body_still_returns_the_first_post(client_for, user):
    """The key names the write, as in Mastodon: a reused key is a retry, whatever it carries."""
    client = client_for(user)
    first = create(client, content="first", key="k")
    again = create(client, content="something else", key="k")
    assert again.status_code == 201 and again.json() == first.json()
    assert list(Post.objects.values_list("content", flat=True)) == ["first"]


def test_a_failed_attempt_leaves_the_key_free(client_for, user):
    client = client_for(user)
    assert create(client, content="", key="k").status_code == 400
    assert create(client, key="k").status_code == 201


def test_microblog_retry_returns_the_same_tweet_id(user):
    client = key_client(user)
    first = client.post("/api/tweets", {"tweet_data": "hi"}, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    again = client.post("/api/tweets", {"tweet_data": "hi"}, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"result": True, "tweet_id": first.json()["tweet_id"]}
    assert Post.objects.filter(author=user).count() == 1


@pytest.mark.parametrize("key", ["x" * 256, "a\x00b"])
def test_microblog_over_long_or_non_printable_key_is_a_400_envelope(user, key):
    response = key_client(user).post("/api/tweets", {"tweet_data": "hi"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["result"] is False and response.json()["error_type"] == "BadRequest"
    assert not Post.objects.exists()


def queries(client, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert create(client, **kwargs).status_code == 201
    return len(captured)


def test_the_key_costs_at_most_one_query(client_for, user):
    client = client_for(user)
    create(client)  # warm caches
    without = queries(client)
    assert without <= 13  # what a post with a hashtag cost before keys existed
    assert queries(client, key="a") <= without + 1
    assert queries(client, key="a") <= without  # a retry does less than a creation


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_concurrent_duplicates_create_one_post(live_services):
    author = UserFactory()
    answers: list[tuple[int, int]] = []

    def post(i: int) -> None:
        client = APIClient()
        client.force_authenticate(author)
        response = create(client, content="once #dup", key="same")
        answers.append((response.status_code, response.json()["id"]))

    run_in_threads(6, post)
    assert Post.objects.filter(author=author).count() == 1
    post_id = Post.objects.get(author=author).id
    assert answers == [(201, post_id)] * 6
    assert Profile.objects.get(pk=author.pk).posts_count == 1
    assert Hashtag.objects.get(name="dup").posts_count == 1


def test_swagger_documents_the_header_on_both_create_operations(api_client):
    paths = api_client.get("/swagger.json").json()["paths"]
    for path in ("/posts/", "/tweets"):
        parameters = paths[path]["post"]["parameters"]
        header = next(p for p in parameters if p["name"] == "Idempotency-Key")
        assert header["in"] == "header" and not header["required"]
