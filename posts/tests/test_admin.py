"""Posts in the Django admin: the list (flat query count), search and filters, the read-only post
page, and deletion through the service."""

import pytest

from media.tests.images import upload
from posts.models import Post
from posts.tests.factories import PostFactory
from users.models import Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POSTS = "/admin/posts/post/"


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def listed(response) -> list[int]:
    return [post.pk for post in response.context["cl"].result_list]


def test_the_list_shows_posts_newest_first_with_a_flat_query_count(client, staff, django_assert_max_num_queries):
    PostFactory(author=UserFactory())
    with django_assert_max_num_queries(20) as one:
        response = client.get(POSTS)
    assert response.status_code == 200
    for i in range(19):
        PostFactory(author=UserFactory(), content=f"post {i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(POSTS)
    posts = listed(response)
    assert len(posts) == 20 and posts == sorted(posts, reverse=True)
    page = response.content.decode().lower()
    for column in ("author", "content", "created", "likes", "retweets", "replies", "reply to", "reports"):
        assert column in page


def test_search_by_content_and_author_and_filter_by_date(client, staff):
    alice = UserFactory(username="alice_admin")
    hers = PostFactory(author=alice, content="nothing special")
    other = PostFactory(content="find the word xylophone")
    assert listed(client.get(POSTS, {"q": "xylophone"})) == [other.pk]
    assert listed(client.get(POSTS, {"q": "alice_admin"})) == [hers.pk]
    day = hers.created_at
    dated = client.get(
        POSTS, {"created_at__year": day.year, "created_at__month": day.month, "created_at__day": day.day}
    )
    assert set(listed(dated)) == {hers.pk, other.pk}
    assert listed(client.get(POSTS, {"created_at__year": day.year - 1})) == []


def test_the_post_page_shows_author_media_replies_hashtags_and_counts(client, staff, client_for):
    author = UserFactory()
    api = client_for(author)
    media_id = api.post("/api/media/", {"file": upload()}, format="multipart").json()["id"]
    post_id = api.post("/api/posts/", {"content": "look #Sunset", "media_ids": [media_id]}, format="json").json()["id"]
    reply = PostFactory(content="what a view", reply_to=Post.objects.get(pk=post_id))
    response = client.get(f"{POSTS}{post_id}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert author.username in page and "#sunset" in page and "what a view" in page
    assert f"/admin/posts/post/{reply.pk}/change/" in page
    assert "<img src=" in page and "/media/" in page
    assert "Save" not in page  # staff don't edit posts
    assert client.get(f"{POSTS}add/").status_code == 403


def test_the_post_page_shows_the_content_warning_alt_text_and_earlier_versions(client, staff, client_for):
    author = UserFactory()
    api = client_for(author)
    media_id = api.post("/api/media/", {"file": upload(), "description": "a red sky"}, format="multipart").json()["id"]
    body = {"content": "first words", "spoiler_text": "weather", "media_ids": [media_id]}
    post_id = api.post("/api/posts/", body, format="json").json()["id"]
    api.patch(f"/api/posts/{post_id}/", {"content": "second words"}, format="json")
    page = client.get(f"{POSTS}{post_id}/change/").content.decode()
    assert "weather" in page and 'alt="a red sky"' in page
    assert "[weather] first words" in page and "second words" in page


def test_staff_delete_posts_through_the_service(client, staff, django_capture_on_commit_callbacks):
    author = UserFactory()
    parent = PostFactory()
    posts = [PostFactory(author=author, content="#gone", reply_to=parent) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{POSTS}{posts[0].pk}/delete/", {"post": "yes"}).status_code == 302
        client.post(POSTS, {"action": "delete_selected", "_selected_action": [posts[1].pk], "post": "yes"})
    assert list(Post.objects.filter(author=author)) == [posts[2]]
    assert Profile.objects.get(pk=author.pk).posts_count == 1
    parent.refresh_from_db()
    assert parent.replies_count == 1
