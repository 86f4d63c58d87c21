"""Sockets facing what no client should send: unknown paths, frames that are not text, not JSON, too
deep or too large. Each ends in a close frame with a code or an ``error`` frame, never in an
unhandled exception (a 500 on the handshake, an ERROR log, a socket dropped without a close frame)."""

import logging

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from realtime.auth import MAX_FRAME_DEPTH
from tests.support.sockets import closed_with, open_socket, receive, receive_type
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = "/ws/events/"
# Nested deeper than Python's recursion limit: json.loads raises RecursionError, not ValueError.
TOO_DEEP = "[" * 100_000 + "]" * 100_000
# Parses, but is deeper than a frame can be passed on (msgpack in the Redis channel layer takes 512
# levels, copying and serializing take as many Python frames).
DEEP_DATA = '{"a": ' * 900 + "1" + "}" * 900


def nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.fixture
def no_error_logs(caplog):
    caplog.set_level(logging.WARNING)
    yield
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not errors, [record.getMessage() for record in errors]


@pytest.fixture
def room():
    host, guest = UserFactory(), UserFactory()
    c = APIClient()
    c.force_authenticate(host)
    room_id = c.post("/api/rooms/", {"title": "frames"}, format="json").json()["id"]
    c.force_authenticate(guest)
    c.post(f"/api/rooms/{room_id}/join/")
    return {"path": f"/ws/rooms/{room_id}/", "host": host, "guest": guest}


def run(scenario):
    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "path", ["/ws/other/", "/ws/events", "/ws/rooms/abc/", "/ws/rooms/1/extra/", "/api/posts/", "/"]
)
def test_an_unknown_path_is_accepted_then_closed_with_4004(path, no_error_logs):
    async def scenario():
        socket = await open_socket(path)
        assert await closed_with(socket) == 4004
        await socket.disconnect()

    run(scenario)


def test_a_room_id_past_64_bits_is_an_unknown_room(no_error_logs):
    user = UserFactory()

    async def scenario():
        socket = await open_socket(f"/ws/rooms/{10**30}/", user)
        assert await closed_with(socket) == 4004
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("target", ["events", "room"])
@pytest.mark.parametrize("frame", [{"bytes_data": b"\x00\x01"}, {"text_data": TOO_DEEP}, {"text_data": "1" * 5000}])
def test_a_bad_first_frame_closes_4001(room, target, frame, no_error_logs):
    async def scenario():
        socket = await open_socket(EVENTS if target == "events" else room["path"])
        await socket.send_to(**frame)
        assert await closed_with(socket) == 4001
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("target", ["events", "room"])
@pytest.mark.parametrize(
    "frame",
    [{"bytes_data": b"\x00\x01"}, {"text_data": TOO_DEEP}, {"text_data": "not json"}, {"text_data": "x" * 2**20}],
)
def test_a_bad_frame_after_auth_earns_an_error_and_the_socket_stays(room, target, frame, no_error_logs):
    async def scenario():
        socket = await open_socket(EVENTS if target == "events" else room["path"], room["guest"])
        await receive_type(socket, "auth_ok")
        await socket.send_to(**frame)
        assert (await receive_type(socket, "error"))["data"]["detail"]
        await socket.send_json_to({"type": "dance"})
        assert (await receive_type(socket, "error"))["data"]["detail"]
        await socket.disconnect()

    run(scenario)


def test_signaling_data_too_deep_to_pass_on_earns_an_error(room, no_error_logs):
    async def scenario():
        sender = await open_socket(room["path"], room["guest"])
        addressee = await open_socket(room["path"], room["host"])
        await receive_type(sender, "auth_ok")
        await receive_type(addressee, "auth_ok")
        await sender.send_to(text_data=f'{{"type": "offer", "to": {room["host"].id}, "data": {DEEP_DATA}}}')
        assert (await receive(sender))["type"] == "error"
        assert await addressee.receive_nothing(timeout=0.3)
        # The sender's socket still works.
        await sender.send_json_to({"type": "offer", "to": room["host"].id, "data": {"sdp": "v=0"}})
        assert await receive(addressee) == {"type": "offer", "from": room["guest"].id, "data": {"sdp": "v=0"}}
        await sender.disconnect()
        await addressee.disconnect()

    run(scenario)


def test_signaling_data_nested_as_deep_as_a_frame_may_be_is_passed_on(room, no_error_logs):
    # The frame is one level more than its data: MAX_FRAME_DEPTH levels in all.
    data = nested(MAX_FRAME_DEPTH - 1)

    async def scenario():
        sender = await open_socket(room["path"], room["guest"])
        addressee = await open_socket(room["path"], room["host"])
        await receive_type(sender, "auth_ok")
        await receive_type(addressee, "auth_ok")
        await sender.send_json_to({"type": "offer", "to": room["host"].id, "data": {"a": data}})
        assert (await receive(sender))["type"] == "error"
        await sender.send_json_to({"type": "offer", "to": room["host"].id, "data": data})
        assert await receive(addressee) == {"type": "offer", "from": room["guest"].id, "data": data}
        await sender.disconnect()
        await addressee.disconnect()

    run(scenario)
