"""Mastodon's streaming API: server-sent events and the multiplexed WebSocket, on the ASGI
application, fed by writes made through the native API (after commit, through the channel layer)."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import ApplicationCommunicator, WebsocketCommunicator
from rest_framework.test import APIClient

from mini_twitter.asgi import application
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
QUIET = 0.5


def run(scenario):
    async_to_sync(scenario)()


def native(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


async def act(user, method: str, path: str, data=None):
    response = await sync_to_async(lambda: getattr(native(user), method)(path, data, format="json"))()
    assert response.status_code < 300, response.content
    return response.json() if response.content else None


async def post(user, content: str, **extra) -> int:
    return (await act(user, "post", "/api/posts/", {"content": content, **extra}))["id"]


# --- Server-sent events ---------------------------------------------------------------------------


class EventStream:
    """An open ``text/event-stream`` response read through Channels' communicator."""

    def __init__(self, communicator: ApplicationCommunicator, start: dict):
        self.communicator, self.start, self.buffer = communicator, start, ""

    @property
    def status(self) -> int:
        return self.start["status"]

    @property
    def headers(self) -> dict[str, str]:
        return {name.decode().lower(): value.decode() for name, value in self.start["headers"]}

    async def chunk(self, timeout: float = TIMEOUT) -> str:
        message = await self.communicator.receive_output(timeout)
        assert message["type"] == "http.response.body", message
        return message["body"].decode()

    async def event(self, timeout: float = TIMEOUT) -> tuple[str, str]:
        """The next ``event:``/``data:`` pair, comments (``:)``, ``:thump``) skipped."""
        while "\n\n" not in self.buffer:
            self.buffer += await self.chunk(timeout)
            self.buffer = "\n".join(line for line in self.buffer.split("\n") if not line.startswith(":"))
            self.buffer = self.buffer.lstrip("\n")
        block, self.buffer = self.buffer.split("\n\n", 1)
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        return fields["event"], fields["data"]

    async def nothing(self, timeout: float = QUIET) -> None:
        assert await self.communicator.receive_nothing(timeout), "an event arrived"

    async def close(self) -> None:
        await self.communicator.send_input({"type": "http.disconnect"})
        await self.communicator.wait(TIMEOUT)


async def open_stream(
    path: str, token: str | None = None, *, query_token: bool = False, method: str = "GET"
) -> EventStream:
    path, _, query = path.partition("?")
    headers = [(b"host", b"testserver")]
    if token and query_token:
        query = f"{query}&access_token={token}".lstrip("&")
    elif token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(TIMEOUT)
    assert start["type"] == "http.response.start", start
    stream = EventStream(communicator, start)
    if stream.status == 200:
        assert stream.headers["access-control-allow-origin"] == "*"
        assert await stream.chunk() == ":)\n"
    return stream


async def error_of(stream: EventStream) -> dict:
    assert stream.headers["content-type"].startswith("application/json")
    body = json.loads(await stream.chunk())
    await stream.communicator.wait(TIMEOUT)
    return body


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def test_user_stream_gets_a_followees_post_and_a_like_notification(alice, bob, mastodon_token):
    native(bob).post(f"/api/users/{alice.id}/follow/")
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/user", token)
        assert stream.status == 200
        assert stream.headers["content-type"] == "text/event-stream"
        post_id = await post(alice, "hello #world")
        event, data = await stream.event()
        assert event == "update"
        status = json.loads(data)
        assert status["id"] == str(post_id)
        assert status["account"]["id"] == str(alice.id)
        assert status["content"].startswith("<p>hello ")
        assert status["visibility"] == "public"
        assert status["favourited"] is False and status["reblogged"] is False and status["bookmarked"] is False
        assert status["url"] == f"http://testserver/@alice/{post_id}"

        own_id = await post(bob, "mine")
        event, data = await stream.event()
        assert (event, json.loads(data)["id"]) == ("update", str(own_id))

        await act(alice, "post", f"/api/posts/{own_id}/like/")
        event, data = await stream.event()
        notification = json.loads(data)
        assert event == "notification"
        assert notification["type"] == "favourite"
        assert notification["account"]["id"] == str(alice.id)
        assert notification["status"]["id"] == str(own_id)
        assert notification["group_key"] == f"ungrouped-{notification['id']}"
        assert set(notification) == {"id", "type", "group_key", "created_at", "account", "status"}
        await stream.nothing()
        await stream.close()

    run(scenario)


def test_user_stream_without_read_notifications_gets_no_notifications(alice, bob, mastodon_token):
    token = mastodon_token(bob, "read:statuses")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/user", token)
        post_id = await post(bob, "like me")
        assert (await stream.event())[0] == "update"
        await act(alice, "post", f"/api/posts/{post_id}/like/")
        await act(alice, "post", f"/api/users/{bob.id}/follow/")
        await stream.nothing()
        await stream.close()

    run(scenario)


def test_notification_stream_maps_native_types(alice, bob, mastodon_token):
    token = mastodon_token(bob, "read:notifications")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/user/notification", token)
        post_id = await post(bob, "hi")
        await act(alice, "post", f"/api/users/{bob.id}/follow/")
        await act(alice, "post", f"/api/posts/{post_id}/retweet/")
        await post(alice, "@bob you there?")
        await post(alice, "yes", reply_to=post_id)
        received = []
        for _ in range(4):
            event, data = await stream.event()
            assert event == "notification"
            received.append(json.loads(data))
        assert [n["type"] for n in received] == ["follow", "reblog", "mention", "mention"]
        assert "status" not in received[0]
        assert received[1]["status"]["id"] == str(post_id)
        await stream.nothing()  # bob's own post is no notification, and this stream takes no updates
        await stream.close()

    run(scenario)


def test_public_stream_gets_public_posts_only(alice, bob, mastodon_token):
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/public", token)
        local = await open_stream("/api/v1/streaming/public/local", token, query_token=True)
        await post(alice, "not listed", visibility="unlisted")
        await post(alice, "friends only", visibility="followers")
        public_id = await post(alice, "for everyone")
        for each in (stream, local):
            event, data = await each.event()
            assert (event, json.loads(data)["id"]) == ("update", str(public_id))
            await each.nothing()
            await each.close()

    run(scenario)


def test_public_media_stream_skips_posts_without_media(alice, bob, mastodon_token):
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/public?only_media=true", token)
        await post(alice, "just words")
        await stream.nothing()
        await stream.close()

    run(scenario)


def test_hashtag_stream(alice, bob, mastodon_token):
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/hashtag?tag=Django", token)
        await post(alice, "about #flask")
        tagged = await post(alice, "about #django")
        event, data = await stream.event()
        assert (event, json.loads(data)["id"]) == ("update", str(tagged))
        assert json.loads(data)["tags"][0]["name"] == "django"
        await stream.nothing()
        await stream.close()

        local = await open_stream("/api/v1/streaming/hashtag/local?tag=django", token)
        again = await post(alice, "more #Django")
        assert json.loads((await local.event())[1])["id"] == str(again)
        await local.close()

    run(scenario)


def test_blocked_and_muted_authors_never_arrive(alice, bob, mastodon_token):
    carol = UserFactory(username="carol")
    for followee in (alice, carol):
        native(bob).post(f"/api/users/{followee.id}/follow/")
    native(bob).post(f"/api/users/{alice.id}/block/")
    native(bob).post(f"/api/users/{carol.id}/mute/")
    token = mastodon_token(bob, "read")

    async def scenario():
        streams = [
            await open_stream("/api/v1/streaming/user", token),
            await open_stream("/api/v1/streaming/public", token),
            await open_stream("/api/v1/streaming/hashtag?tag=news", token),
        ]
        await post(alice, "blocked #news")
        await post(carol, "muted #news")
        for stream in streams:
            await stream.nothing()
        dave = await sync_to_async(UserFactory)(username="dave")
        seen = await post(dave, "fine #news")
        for stream in streams[1:]:
            assert json.loads((await stream.event())[1])["id"] == str(seen)
        for stream in streams:
            await stream.close()

    run(scenario)


def test_followers_only_posts_reach_followers_alone(alice, bob, mastodon_token):
    eve = UserFactory(username="eve")
    native(bob).post(f"/api/users/{alice.id}/follow/")
    follower, stranger = mastodon_token(bob, "read"), mastodon_token(eve, "read")

    async def scenario():
        theirs = await open_stream("/api/v1/streaming/user", follower)
        not_theirs = await open_stream("/api/v1/streaming/user", stranger)
        post_id = await post(alice, "friends only", visibility="followers")
        event, data = await theirs.event()
        assert (event, json.loads(data)["visibility"]) == ("update", "private")
        assert json.loads(data)["id"] == str(post_id)
        await not_theirs.nothing()
        await theirs.close()
        await not_theirs.close()

    run(scenario)


def test_delete_and_edit_events(alice, bob, mastodon_token):
    native(bob).post(f"/api/users/{alice.id}/follow/")
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/user", token)
        post_id = await post(alice, "first draft")
        assert (await stream.event())[0] == "update"
        await act(alice, "patch", f"/api/posts/{post_id}/", {"content": "second draft"})
        event, data = await stream.event()
        assert event == "status.update"
        assert "second draft" in json.loads(data)["content"]
        assert json.loads(data)["edited_at"] is not None
        await act(alice, "delete", f"/api/posts/{post_id}/")
        assert await stream.event() == ("delete", str(post_id))
        await stream.close()

    run(scenario)


@pytest.mark.parametrize(
    ("path", "scope", "status", "error"),
    [
        ("/api/v1/streaming/user", None, 401, "Missing access token"),
        ("/api/v1/streaming/public", None, 401, "Missing access token"),
        ("/api/v1/streaming/user", "write", 401, "Access token does not have the required scopes"),
        ("/api/v1/streaming/user/notification", "read:statuses", 401, "Access token does not have the required scopes"),
        ("/api/v1/streaming/hashtag", "read", 400, "No tag for stream provided"),
    ],
)
def test_stream_refusals(path, scope, status, error, bob, mastodon_token):
    token = mastodon_token(bob, scope) if scope else None

    async def scenario():
        stream = await open_stream(path, token)
        assert stream.status == status
        assert await error_of(stream) == {"error": error}

    run(scenario)


def test_invalid_app_and_deactivated_tokens_are_401(bob, mastodon_token):
    tokens = ["not-a-token", mastodon_token(None, "read")]
    inactive = UserFactory(is_active=False)
    tokens.append(mastodon_token(inactive, "read"))

    async def scenario():
        for token in tokens:
            stream = await open_stream("/api/v1/streaming/public", token)
            assert stream.status == 401
            assert await error_of(stream) == {"error": "Invalid access token"}

    run(scenario)


def test_preflight_and_other_methods(bob, mastodon_token):
    token = mastodon_token(bob, "read")

    async def scenario():
        preflight = await open_stream("/api/v1/streaming/user", method="OPTIONS")
        assert preflight.status == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "authorization" in preflight.headers["access-control-allow-headers"]
        posted = await open_stream("/api/v1/streaming/user", token, method="POST")
        assert posted.status == 405
        assert await error_of(posted) == {"error": "Method not allowed"}

    run(scenario)


def test_heartbeat(bob, mastodon_token, settings):
    settings.MASTODON_STREAMING_HEARTBEAT = 0.1
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/public", token)
        assert await stream.chunk() == ":thump\n"
        await stream.close()

    run(scenario)


def test_health(client):
    response = client.get("/api/v1/streaming/health")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response.content == b"OK"


# --- The multiplexed WebSocket --------------------------------------------------------------------


async def open_socket(query: str = "", subprotocols=None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, f"/api/v1/streaming{query}", headers=[(b"host", b"testserver")], subprotocols=subprotocols
    )
    connected, subprotocol = await communicator.connect(TIMEOUT)
    assert connected
    communicator.subprotocol = subprotocol
    return communicator


async def frame(socket: WebsocketCommunicator) -> dict:
    return json.loads(await socket.receive_from(TIMEOUT))


def test_socket_with_token_in_query_and_stream_subscribed_at_once(alice, bob, mastodon_token):
    native(bob).post(f"/api/users/{alice.id}/follow/")
    token = mastodon_token(bob, "read")

    async def scenario():
        socket = await open_socket(f"?access_token={token}&stream=user")
        post_id = await post(alice, "hi")
        message = await frame(socket)
        assert message["stream"] == ["user"] and message["event"] == "update"
        assert json.loads(message["payload"])["id"] == str(post_id)
        await socket.disconnect()

    run(scenario)


def test_socket_subscribe_unsubscribe_and_events(alice, bob, mastodon_token):
    token = mastodon_token(bob, "read")

    async def scenario():
        socket = await open_socket(subprotocols=[token])
        assert socket.subprotocol == token
        await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "public"}))
        await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "cats"}))
        await asyncio.sleep(0.2)
        post_id = await post(alice, "look #cats")
        received = sorted([await frame(socket), await frame(socket)], key=lambda m: m["stream"])
        assert [m["stream"] for m in received] == [["hashtag", "cats"], ["public"]]
        assert all(json.loads(m["payload"])["id"] == str(post_id) for m in received)

        await act(alice, "patch", f"/api/posts/{post_id}/", {"content": "look #cats again"})
        edits = [await frame(socket), await frame(socket)]
        assert {m["event"] for m in edits} == {"status.update"}

        await socket.send_to(text_data=json.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": "cats"}))
        await asyncio.sleep(0.2)
        await act(alice, "delete", f"/api/posts/{post_id}/")
        assert await frame(socket) == {"stream": ["public"], "event": "delete", "payload": str(post_id)}
        assert await socket.receive_nothing(QUIET)

        await socket.send_to(text_data=json.dumps({"type": "unsubscribe", "stream": "public"}))
        await asyncio.sleep(0.2)
        await post(alice, "nobody listens")
        assert await socket.receive_nothing(QUIET)
        await socket.disconnect()

    run(scenario)


def test_socket_errors(bob, mastodon_token):
    token = mastodon_token(bob, "read:statuses")

    async def scenario():
        socket = await open_socket(f"?access_token={token}")
        await socket.send_to(text_data="nonsense")
        assert await frame(socket) == {"error": "Unknown message type", "status": 400}
        await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "list", "list": "1"}))
        assert await frame(socket) == {"error": "Unknown stream type", "status": 400}
        await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "user:notification"}))
        assert await frame(socket) == {"error": "Access token does not have the required scopes", "status": 401}
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("token", ["", "bad-token"])
def test_socket_with_a_bad_token_is_closed_4001(token):
    async def scenario():
        socket = await open_socket(f"?access_token={token}&stream=public")
        output = await socket.receive_output(TIMEOUT)
        assert output == {"type": "websocket.close", "code": 4001}

    run(scenario)


def revoke_all(user) -> None:
    from oauth2_provider.models import get_access_token_model

    for token in get_access_token_model().objects.filter(user=user):
        token.revoke()


def test_revoking_the_token_ends_its_streams(bob, mastodon_token):
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/public", token)
        socket = await open_socket(f"?access_token={token}")
        await sync_to_async(revoke_all)(bob)
        end = await stream.communicator.receive_output(TIMEOUT)
        assert end == {"type": "http.response.body", "body": b"", "more_body": False}
        assert await socket.receive_output(TIMEOUT) == {"type": "websocket.close", "code": 4001}

    run(scenario)


def test_deactivating_the_account_ends_its_streams(bob, mastodon_token):
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/user", token)
        bob.is_active = False
        await sync_to_async(bob.save)()
        end = await stream.communicator.receive_output(TIMEOUT)
        assert end["more_body"] is False

    run(scenario)


def test_reblogs_reach_the_rebloggers_followers_and_unreblogs_delete_them(alice, bob, mastodon_token):
    carol = UserFactory(username="carol")
    native(bob).post(f"/api/users/{carol.id}/follow/")
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/user", token)
        post_id = await post(alice, "worth sharing")
        await stream.nothing()  # bob does not follow alice
        await act(carol, "post", f"/api/posts/{post_id}/retweet/")
        event, data = await stream.event()
        status = json.loads(data)
        assert event == "update"
        assert status["account"]["id"] == str(carol.id)
        assert status["reblog"]["id"] == str(post_id)
        assert status["reblog"]["account"]["id"] == str(alice.id)
        assert int(status["id"]) > 2**62
        await act(carol, "post", f"/api/posts/{post_id}/unretweet/")
        assert await stream.event() == ("delete", status["id"])
        await stream.close()

    run(scenario)


def test_a_reblog_of_a_blocked_author_never_arrives(alice, bob, mastodon_token):
    carol = UserFactory(username="carol")
    native(bob).post(f"/api/users/{carol.id}/follow/")
    native(bob).post(f"/api/users/{alice.id}/block/")
    token = mastodon_token(bob, "read")

    async def scenario():
        stream = await open_stream("/api/v1/streaming/user", token)
        post_id = await post(alice, "from someone bob blocks")
        await act(carol, "post", f"/api/posts/{post_id}/retweet/")
        await stream.nothing()
        await stream.close()

    run(scenario)


def test_home_fanout_in_batches_reaches_every_follower(alice, bob, mastodon_token, settings):
    settings.TIMELINE_FANOUT_BATCH = 1  # alice, then each follower: one batch task each
    carol = UserFactory(username="carol")
    for follower in (bob, carol):
        native(follower).post(f"/api/users/{alice.id}/follow/")
    tokens = [mastodon_token(user, "read") for user in (alice, bob, carol)]

    async def scenario():
        streams = [await open_stream("/api/v1/streaming/user", token) for token in tokens]
        post_id = await post(alice, "to all of you")
        for stream in streams:
            event, data = await stream.event()
            assert (event, json.loads(data)["id"]) == ("update", str(post_id))
            await stream.close()

    run(scenario)
