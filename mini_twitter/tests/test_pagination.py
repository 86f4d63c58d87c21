"""Every cursor-paginated list links back: ``previous`` on a later page leads to the page before it,
the same items in the same order."""

import pytest

from messaging.tests.factories import ConversationFactory, MessageFactory
from notifications.tests.factories import NotificationFactory
from posts.tests.factories import PostFactory
from users.models import Follow
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIZE = 2


def _posts_by_author(me):
    PostFactory.create_batch(7, author=me)
    return f"/api/posts/?author={me.id}"


def _replies(me):
    parent = PostFactory()
    PostFactory.create_batch(7, reply_to=parent)
    return f"/api/posts/{parent.id}/replies/"


def _hashtag_posts(me):
    PostFactory.create_batch(7, content="about #paging")
    return "/api/hashtags/paging/posts/"


def _followers(me):
    for user in UserFactory.create_batch(7):
        Follow.objects.create(follower=user, followee=me)
    return f"/api/users/{me.id}/followers/"


def _following(me):
    for user in UserFactory.create_batch(7):
        Follow.objects.create(follower=me, followee=user)
    return f"/api/users/{me.id}/following/"


def _notifications(me):
    NotificationFactory.create_batch(7, recipient=me)
    return "/api/notifications/"


def _conversations(me):
    for _ in range(7):
        ConversationFactory(creator=me)
    return "/api/messages/"


def _messages(me):
    conversation = ConversationFactory(creator=me)
    for _ in range(7):
        MessageFactory(conversation=conversation, sender=me)
    return f"/api/messages/{conversation.id}/messages/"


LISTS = [_posts_by_author, _replies, _hashtag_posts, _followers, _following, _notifications, _conversations, _messages]


@pytest.mark.parametrize("make_list", LISTS, ids=lambda f: f.__name__.strip("_"))
def test_previous_walks_back_through_the_same_pages(client_for, make_list):
    me = UserFactory()
    client = client_for(me)
    url = make_list(me)

    def page(link: str) -> dict:
        response = client.get(link)
        assert response.status_code == 200, response.content
        body = response.json()
        body["ids"] = [item["id"] for item in body["results"]]
        return body

    forward = [page(f"{url}{'&' if '?' in url else '?'}page_size={SIZE}")]
    assert forward[0]["previous"] is None
    for _ in range(2):
        forward.append(page(forward[-1]["next"]))
    assert all(len(p["ids"]) == SIZE for p in forward)
    back = [forward[-1]]
    for _ in range(2):
        back.append(page(back[-1]["previous"]))
    assert [p["ids"] for p in back] == [p["ids"] for p in reversed(forward)]
    assert back[-1]["previous"] is None
