"""``/ws/events/``: auth, unread counts, notifications pushed after they are stored."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from rest_framework.test import APIClient

from notifications.models import Notification
from posts.tests.factories import PostFactory
from realtime import events
from tests.support.sockets import closed_with, open_socket, receive, receive_type
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = "/ws/events/"


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def run(scenario):
    async_to_sync(scenario)()


def test_auth_ok_then_unread_counts():
    me, fan = UserFactory(), UserFactory()
    client(fan).post(f"/api/users/{me.id}/follow/")

    async def scenario():
        socket = await open_socket(EVENTS, me)
        assert await receive(socket) == {"type": "auth_ok", "data": {"user_id": me.id}}
        assert await receive(socket) == {"type": "unread_count", "data": {"notifications": 1, "messages": 0}}
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("frame", ["", "[]", '{"type": "hello"}', '{"type": "auth", "token": 42}'])
def test_bad_first_frames_close_4001(frame):
    async def scenario():
        socket = await open_socket(EVENTS)
        await socket.send_to(text_data=frame or " ")
        assert await closed_with(socket) == 4001

    run(scenario)


def test_deactivated_user_token_is_refused():
    user = UserFactory(is_active=False)

    async def scenario():
        socket = await open_socket(EVENTS, user)
        assert await closed_with(socket) == 4001

    run(scenario)


def test_expired_token_is_refused():
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(UserFactory())
    token.set_exp(lifetime=-timedelta(seconds=1))

    async def scenario():
        socket = await open_socket(EVENTS, token=str(token))
        assert await closed_with(socket) == 4001

    run(scenario)


def test_a_like_reaches_every_socket_of_the_author_with_the_rest_representation():
    author, fan = UserFactory(), UserFactory(display_name="Fan")
    post = PostFactory(author=author, content="like me")

    async def scenario():
        phone = await open_socket(EVENTS, author)
        laptop = await open_socket(EVENTS, author)
        for socket in (phone, laptop):
            await receive_type(socket, "unread_count")
        await sync_to_async(client(fan).post)(f"/api/posts/{post.id}/like/")
        stored = await sync_to_async(lambda: client(author).get("/api/notifications/").json()["results"][0])()
        for socket in (phone, laptop):
            frame = await receive_type(socket, "notification")
            assert frame["data"]["id"] == stored["id"]
            assert {k: v for k, v in frame["data"].items() if k != "actor"} == {
                k: v for k, v in stored.items() if k != "actor"
            }
            assert frame["data"]["actor"]["id"] == fan.id and frame["data"]["type"] == "like"
            assert frame["data"]["post_excerpt"] == "like me"
            assert await receive_type(socket, "unread_count") == {
                "type": "unread_count",
                "data": {"notifications": 1, "messages": 0},
            }
        await phone.disconnect()
        await laptop.disconnect()

    run(scenario)


def test_nothing_is_pushed_to_others_or_for_own_actions():
    author, fan, bystander = UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author=author)

    async def scenario():
        watcher = await open_socket(EVENTS, bystander)
        mine = await open_socket(EVENTS, author)
        for socket in (watcher, mine):
            await receive_type(socket, "unread_count")
        await sync_to_async(client(fan).post)(f"/api/posts/{post.id}/like/")
        await receive_type(mine, "notification")
        await sync_to_async(client(author).post)(f"/api/posts/{post.id}/like/")  # liking my own post
        assert await watcher.receive_nothing(timeout=0.3)
        await receive_type(mine, "unread_count")
        assert await mine.receive_nothing(timeout=0.3)
        await watcher.disconnect()
        await mine.disconnect()

    run(scenario)


def test_reading_pushes_the_new_unread_count():
    me, fan = UserFactory(), UserFactory()
    client(fan).post(f"/api/users/{me.id}/follow/")
    notification_id = Notification.objects.get(recipient=me).id

    async def scenario():
        socket = await open_socket(EVENTS, me)
        await receive_type(socket, "unread_count")
        await sync_to_async(client(me).post)(f"/api/notifications/{notification_id}/mark_as_read/")
        assert await receive(socket) == {"type": "unread_count", "data": {"notifications": 0, "messages": 0}}
        await socket.disconnect()

    run(scenario)


def test_a_message_yields_its_message_frame_then_the_notification_and_reading_updates_counts():
    me, friend = UserFactory(), UserFactory()
    conversation = client(friend).post("/api/messages/", {"participant_ids": [me.id]}, format="json").json()

    async def scenario():
        mine = await open_socket(EVENTS, me)
        theirs = await open_socket(EVENTS, friend)
        for socket in (mine, theirs):
            await receive_type(socket, "unread_count")
        sent = await sync_to_async(client(friend).post)(
            f"/api/messages/{conversation['id']}/send_message/", {"content": "hi there"}, format="json"
        )
        message = sent.json()
        frame = await receive(mine)
        assert frame == {"type": "message", "data": message}
        notification = await receive(mine)
        assert notification["type"] == "notification"
        assert notification["data"]["type"] == "message" and notification["data"]["conversation"] == conversation["id"]
        assert await receive(mine) == {"type": "unread_count", "data": {"notifications": 1, "messages": 1}}
        assert await theirs.receive_nothing(timeout=0.3)  # not for my own message
        # Reading the conversation reads the message and its notification.
        await sync_to_async(client(me).get)(f"/api/messages/{conversation['id']}/messages/")
        assert await receive(mine) == {"type": "unread_count", "data": {"notifications": 0, "messages": 0}}
        await mine.disconnect()
        await theirs.disconnect()

    run(scenario)


def test_frames_carry_the_rest_representation_with_absolute_avatar_urls():
    from users.models import Profile

    me, fan = UserFactory(), UserFactory()
    Profile.objects.filter(pk=fan.pk).update(avatar="avatars/fan.png")
    conversation = client(fan).post("/api/messages/", {"participant_ids": [me.id]}, format="json").json()

    async def scenario():
        socket = await open_socket(EVENTS, me)
        await receive_type(socket, "unread_count")
        await sync_to_async(client(fan).post)(f"/api/users/{me.id}/follow/")
        notification = await receive_type(socket, "notification")
        sent = await sync_to_async(client(fan).post)(
            f"/api/messages/{conversation['id']}/send_message/", {"content": "hello"}, format="json"
        )
        message = await receive_type(socket, "message")
        await socket.disconnect()
        return notification["data"], message["data"], sent.json()

    notification, message, sent = async_to_sync(scenario)()
    listed = client(me).get("/api/notifications/", {"type": "follow"}).json()["results"]
    assert notification == listed[0]
    assert notification["actor"]["avatar"] == "http://testserver/media/avatars/fan.png"
    assert message == sent
    assert message["sender"]["avatar"] == "http://testserver/media/avatars/fan.png"


def test_site_url_follows_the_host_and_the_proxys_scheme(settings):
    from realtime.absolute import absolute_urls, site_url

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = {"scheme": "ws", "headers": [(b"host", b"example.com:8000")]}
    proxied = {"scheme": "ws", "headers": [(b"host", b"example.com"), (b"x-forwarded-proto", b"https")]}
    assert site_url(plain) == "http://example.com:8000"
    assert site_url(proxied) == "https://example.com"
    assert site_url({"scheme": "wss", "headers": [(b"host", b"example.com")]}) == "https://example.com"
    frame = {"user": {"avatar": "/media/a.png"}, "items": [{"url": "https://cdn.example/b.png"}], "text": "/media/c"}
    assert absolute_urls(frame, "https://example.com") == {
        "user": {"avatar": "https://example.com/media/a.png"},
        "items": [{"url": "https://cdn.example/b.png"}],
        "text": "/media/c",
    }


def test_answering_pushes_the_senders_new_unread_counts():
    me, friend = UserFactory(), UserFactory()
    conversation = client(friend).post("/api/messages/", {"participant_ids": [me.id]}, format="json").json()
    for text in ("one", "two"):
        client(friend).post(f"/api/messages/{conversation['id']}/send_message/", {"content": text}, format="json")
    client(me).post("/api/notifications/mark_all_as_read/")  # the notifications read, the messages not

    async def scenario():
        socket = await open_socket(EVENTS, me)
        assert (await receive_type(socket, "unread_count"))["data"] == {"notifications": 0, "messages": 2}
        await sync_to_async(client(me).post)(
            f"/api/messages/{conversation['id']}/send_message/", {"content": "answer"}, format="json"
        )
        assert await receive(socket) == {"type": "unread_count", "data": {"notifications": 0, "messages": 0}}
        await socket.disconnect()

    run(scenario)


def test_group_send_many_sends_every_group_in_one_loop_and_a_failing_group_spares_the_others(monkeypatch, caplog):
    layer, sent, loops = get_channel_layer(), [], set()

    async def fake_group_send(group, message):
        loops.add(id(asyncio.get_running_loop()))
        if group == "g1":
            raise ConnectionError("gone")
        sent.append((group, message["n"]))

    monkeypatch.setattr(layer, "group_send", fake_group_send)
    events.group_send_many((f"g{i}", {"type": "x", "n": i}) for i in range(3))
    assert sent == [("g0", 0), ("g2", 2)]
    assert len(loops) == 1
    assert "could not send x to g1" in caplog.text
