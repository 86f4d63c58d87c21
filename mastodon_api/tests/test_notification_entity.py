"""Mastodon's Notification rendered from the native notifications."""

import pytest
from django.test import RequestFactory

from mastodon_api.entities.notification import notification_entities
from notifications.selectors import notification_list
from notifications.serializers import NotificationSerializer
from posts import services as post_services
from posts.tests.factories import PostFactory
from users import services as user_services
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def native_notifications(user) -> list[dict]:
    return list(NotificationSerializer(notification_list(user=user), many=True).data)


def render(user) -> list[dict]:
    request = RequestFactory().get("/")
    request.user = user
    return notification_entities(native_notifications(user), viewer=user, request=request)


def test_types_map_and_statuses_come_with_those_about_one(django_capture_on_commit_callbacks):
    me, fan = UserFactory(username="me"), UserFactory(username="fan")
    post = PostFactory(author=me)
    with django_capture_on_commit_callbacks(execute=True):
        user_services.follow_create(follower=fan, followee=me)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.like_create(user=fan, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.retweet_create(user=fan, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.post_create(author=fan, content="@me hello", reply_to_id=post.pk)
    entities = render(me)
    assert [entity["type"] for entity in entities] == ["mention", "reblog", "favourite", "follow"]
    follow = entities[-1]
    assert set(follow) == {"id", "type", "group_key", "created_at", "account"}
    assert follow["account"]["username"] == "fan"
    assert follow["group_key"] == f"ungrouped-{follow['id']}"
    assert entities[2]["status"]["id"] == str(post.pk)
    assert entities[0]["status"]["in_reply_to_id"] == str(post.pk)


def test_a_hidden_status_or_a_message_is_left_out(django_capture_on_commit_callbacks):
    me, fan = UserFactory(), UserFactory()
    post = PostFactory(author=me)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.like_create(user=fan, post=post)
    data = native_notifications(me)
    data.append({**data[0], "id": data[0]["id"] + 1, "type": "message", "post": None})
    request = RequestFactory().get("/")
    assert len(notification_entities(data, viewer=me, request=request)) == 1
    data[0]["post"] = 10**9  # gone
    assert notification_entities(data, viewer=me, request=request) == []


def test_query_count_does_not_grow_with_the_page(django_assert_max_num_queries, django_capture_on_commit_callbacks):
    me = UserFactory()
    post = PostFactory(author=me)

    def add(count: int) -> None:
        for _ in range(count):
            with django_capture_on_commit_callbacks(execute=True):
                post_services.like_create(user=UserFactory(), post=post)
                user_services.follow_create(follower=UserFactory(), followee=me)

    add(1)
    data = native_notifications(me)
    request = RequestFactory().get("/")
    with django_assert_max_num_queries(8) as one:
        notification_entities(data, viewer=me, request=request)
    add(19)
    data = native_notifications(me)
    assert len(data) == 40
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(notification_entities(data, viewer=me, request=request)) == 40
