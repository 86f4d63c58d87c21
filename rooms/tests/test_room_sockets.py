"""Room sockets: auth and access, signaling to the addressee only, broadcasts, presence."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from rest_framework.test import APIClient

from rooms.models import Participant, Room
from tests.support.sockets import closed_with, open_socket, receive, receive_type
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def people():
    host, alice, bob, carol = (UserFactory() for _ in range(4))
    room = client(host).post("/api/rooms/", {"title": "signal"}, format="json").json()
    for user in (alice, bob):
        client(user).post(f"/api/rooms/{room['id']}/join/")
    return {"host": host, "alice": alice, "bob": bob, "carol": carol, "room": room["id"]}


def run(scenario):
    async_to_sync(scenario)()


def post(user, path):
    return sync_to_async(client(user).post)(path)


def test_participant_socket_is_authorized(people):
    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/", people["alice"])
        assert await receive(socket) == {"type": "auth_ok", "data": {"user_id": people["alice"].id}}
        await socket.disconnect()

    run(scenario)


def test_non_participant_is_closed_4003_and_unknown_room_4004(people):
    async def scenario():
        outsider = await open_socket(f"/ws/rooms/{people['room']}/", people["carol"])
        assert await closed_with(outsider) == 4003
        unknown = await open_socket("/ws/rooms/987654/", people["alice"])
        assert await closed_with(unknown) == 4004
        await post(people["bob"], f"/api/rooms/{people['room']}/leave/")
        left = await open_socket(f"/ws/rooms/{people['room']}/", people["bob"])
        assert await closed_with(left) == 4003
        await post(people["host"], f"/api/rooms/{people['room']}/end/")
        ended = await open_socket(f"/ws/rooms/{people['room']}/", people["alice"])
        assert await closed_with(ended) == 4004

    run(scenario)


@pytest.mark.parametrize("frame", ["not json", '{"type": "auth"}', '{"type": "auth", "token": "bad"}', '{"token": 1}'])
def test_bad_auth_frames_close_4001(people, frame):
    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/")
        await socket.send_to(text_data=frame)
        assert await closed_with(socket) == 4001

    run(scenario)


def test_refresh_token_is_refused(people):
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = str(RefreshToken.for_user(people["alice"]))

    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/", token=refresh)
        assert await closed_with(socket) == 4001

    run(scenario)


def test_silence_closes_4001(people, settings):
    settings.WEBSOCKET_AUTH_TIMEOUT = 0.2

    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/")
        assert await closed_with(socket, timeout=3) == 4001

    run(scenario)


def test_signaling_reaches_only_the_addressee(people):
    async def scenario():
        sockets = {}
        for name in ("host", "alice", "bob"):
            sockets[name] = await open_socket(f"/ws/rooms/{people['room']}/", people[name])
            await receive_type(sockets[name], "auth_ok")
        offer = {"type": "offer", "to": people["bob"].id, "data": {"sdp": "v=0..."}}
        await sockets["alice"].send_json_to(offer)
        got = await receive(sockets["bob"])
        assert got == {"type": "offer", "from": people["alice"].id, "data": {"sdp": "v=0..."}}
        assert await sockets["host"].receive_nothing(timeout=0.3)
        assert await sockets["alice"].receive_nothing(timeout=0.1)
        # `from` is always the authenticated sender, whatever the frame claims.
        await sockets["bob"].send_json_to({"type": "answer", "to": people["alice"].id, "from": 1, "data": {"x": 1}})
        assert await receive(sockets["alice"]) == {"type": "answer", "from": people["bob"].id, "data": {"x": 1}}
        for socket in sockets.values():
            await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "offer", "to": "carol", "data": {}},
        {"type": "offer", "data": {}},
        {"type": "offer", "to": 1, "data": "sdp"},
        {"type": "dance", "to": 1, "data": {}},
    ],
)
def test_malformed_signaling_earns_an_error(people, frame):
    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/", people["alice"])
        await receive_type(socket, "auth_ok")
        await socket.send_json_to(frame)
        answer = await receive(socket)
        assert answer["type"] == "error" and answer["data"]["detail"]
        await socket.disconnect()

    run(scenario)


def test_signaling_to_a_non_participant_earns_an_error(people):
    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/", people["alice"])
        await receive_type(socket, "auth_ok")
        await socket.send_json_to({"type": "ice_candidate", "to": people["carol"].id, "data": {"c": 1}})
        answer = await receive(socket)
        assert answer["type"] == "error" and str(people["carol"].id) in answer["data"]["detail"]
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("to", [2**63, 0, -1, "1", True, None])
def test_signaling_to_an_impossible_id_earns_an_error(people, to):
    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/", people["alice"])
        await receive_type(socket, "auth_ok")
        await socket.send_json_to({"type": "offer", "to": to, "data": {"sdp": "x"}})
        answer = await receive(socket)
        assert answer["type"] == "error"
        await socket.send_json_to({"type": "offer", "to": people["bob"].id, "data": {"sdp": "x"}})
        assert await socket.receive_nothing(timeout=0.3)  # still open and serving
        await socket.disconnect()

    run(scenario)


def test_broadcasts_reach_everyone_and_end_closes_the_sockets(people):
    async def scenario():
        room = people["room"]
        host = await open_socket(f"/ws/rooms/{room}/", people["host"])
        alice = await open_socket(f"/ws/rooms/{room}/", people["alice"])
        for socket in (host, alice):
            await receive_type(socket, "auth_ok")
        await post(people["carol"], f"/api/rooms/{room}/join/")
        for socket in (host, alice):
            joined = await receive(socket)
            assert joined["type"] == "joined" and joined["data"]["user"]["id"] == people["carol"].id
            assert joined["data"]["role"] == "listener"
        await post(people["alice"], f"/api/rooms/{room}/raise_hand/")
        for socket in (host, alice):
            assert (await receive(socket))["type"] == "hand_raised"
        await post(people["host"], f"/api/rooms/{room}/speakers/{people['alice'].id}/")
        for socket in (host, alice):
            changed = await receive(socket)
            assert changed == {"type": "role_changed", "data": {"user": changed["data"]["user"], "role": "speaker"}}
            assert changed["data"]["user"]["id"] == people["alice"].id
        await post(people["bob"], f"/api/rooms/{room}/leave/")
        for socket in (host, alice):
            left = await receive(socket)
            assert left["type"] == "left" and left["data"]["user"]["id"] == people["bob"].id
        await post(people["host"], f"/api/rooms/{room}/end/")
        for socket in (host, alice):
            assert await receive(socket) == {"type": "ended", "data": {}}
            assert await closed_with(socket) == 1000

    run(scenario)


def test_leaving_closes_the_leavers_sockets(people):
    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/", people["alice"])
        await receive_type(socket, "auth_ok")
        await post(people["alice"], f"/api/rooms/{people['room']}/leave/")
        assert (await receive(socket))["type"] == "left"
        assert await closed_with(socket) == 1000

    run(scenario)


def test_presence_survives_a_short_drop_then_expires(people, settings):
    settings.ROOM_PRESENCE_GRACE_SECONDS = 0.3

    async def scenario():
        room = people["room"]
        first = await open_socket(f"/ws/rooms/{room}/", people["alice"])
        await receive_type(first, "auth_ok")
        await first.disconnect()
        again = await open_socket(f"/ws/rooms/{room}/", people["alice"])  # back within the grace period
        await receive_type(again, "auth_ok")
        await asyncio.sleep(1.0)
        assert await sync_to_async(Participant.objects.filter(room_id=room, user=people["alice"]).exists)()
        await again.disconnect()
        await asyncio.sleep(1.0)
        assert not await sync_to_async(Participant.objects.filter(room_id=room, user=people["alice"]).exists)()

    run(scenario)
    assert Room.objects.get(pk=people["room"]).status == "live"


def test_host_dropping_for_good_ends_the_room(people, settings):
    settings.ROOM_PRESENCE_GRACE_SECONDS = 0.2

    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/", people["host"])
        await receive_type(socket, "auth_ok")
        await socket.disconnect()
        await asyncio.sleep(1.0)

    run(scenario)
    assert Room.objects.get(pk=people["room"]).status == "ended"


def test_open_sockets_mark_their_participant_seen(people, settings):
    settings.ROOM_PRESENCE_HEARTBEAT_SECONDS = 0.1
    seen = sync_to_async(lambda: Participant.objects.get(room_id=people["room"], user=people["alice"]).seen_at)

    async def scenario():
        socket = await open_socket(f"/ws/rooms/{people['room']}/", people["alice"])
        await receive_type(socket, "auth_ok")
        opened = await seen()
        assert opened is not None
        await asyncio.sleep(0.5)
        beaten = await seen()
        assert beaten > opened
        await socket.disconnect()
        await asyncio.sleep(0.3)
        assert await seen() == beaten  # the heartbeat stopped with the socket

    run(scenario)


# --- The presence sweep (the beat's safety net for a web process that died) ---------------------


def presence(people, who, **fields):
    Participant.objects.filter(room_id=people["room"], user=people[who]).update(**fields)


def participants(people) -> set[str]:
    ids = set(Participant.objects.filter(room_id=people["room"]).values_list("user_id", flat=True))
    return {name for name in ("host", "alice", "bob", "carol") if people[name].id in ids}


def test_the_sweep_closes_sockets_whose_heartbeats_stopped_and_expires_participants_after_grace(people, settings):
    from django.utils import timezone

    from rooms.services import presence_sweep

    settings.ROOM_PRESENCE_HEARTBEAT_SECONDS = 30
    settings.ROOM_PRESENCE_GRACE_SECONDS = 120
    now = timezone.now()
    # alice's web process died 200 s ago with her socket open; bob's socket is alive.
    presence(people, "alice", sockets=1, seen_at=now - timezone.timedelta(seconds=200))
    presence(people, "bob", sockets=2, seen_at=now - timezone.timedelta(seconds=10))
    # The host's heartbeats stopped 100 s ago: closed from then, but still within the grace period.
    presence(people, "host", sockets=1, seen_at=now - timezone.timedelta(seconds=100))

    async def scenario():
        bob = await open_socket(f"/ws/rooms/{people['room']}/", people["bob"])
        await receive_type(bob, "auth_ok")
        assert await sync_to_async(presence_sweep)() == 1
        assert await receive(bob) == {
            "type": "left",
            "data": {
                "user": {
                    "id": people["alice"].id,
                    "username": people["alice"].username,
                    "display_name": "",
                    "avatar": None,
                }
            },
        }
        await bob.disconnect()

    run(scenario)
    assert participants(people) == {"host", "bob"}
    host = Participant.objects.get(room_id=people["room"], user=people["host"])
    assert host.sockets == 0 and host.disconnected_at is not None
    # Nothing is due yet: a second sweep changes nothing.
    assert presence_sweep() == 0
    # Once the host's grace period is over, the room ends with the host gone.
    presence(people, "host", disconnected_at=now - timezone.timedelta(seconds=121))
    assert presence_sweep() == 1
    assert Room.objects.get(pk=people["room"]).status == "ended"


def test_the_sweep_leaves_rest_only_participants_and_ended_rooms_alone(people):
    from django.utils import timezone

    from rooms.tasks import sweep_presence_task

    long_ago = timezone.now() - timezone.timedelta(hours=1)
    # alice joined through REST and never opened a socket: she stays until she leaves.
    presence(people, "alice", sockets=0, disconnected_at=None, seen_at=None)
    assert sweep_presence_task.apply().result == 0
    assert participants(people) == {"host", "alice", "bob"}
    # In an ended room nobody is swept (the room is over already).
    Room.objects.filter(pk=people["room"]).update(status="ended")
    presence(people, "bob", sockets=0, disconnected_at=long_ago)
    assert sweep_presence_task.apply().result == 0
    assert participants(people) == {"host", "alice", "bob"}


def test_the_sweep_is_scheduled_with_celery_beat():
    from mini_twitter.celery import app

    assert "rooms.sweep_presence" in {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "rooms.sweep_presence" in app.tasks


def test_presence_expiry_spares_a_participant_whose_socket_is_back(people, settings):
    from django.utils import timezone

    from rooms.services import presence_expire

    settings.ROOM_PRESENCE_GRACE_SECONDS = 30
    long_ago = timezone.now() - timezone.timedelta(minutes=5)
    # Disconnected long ago, but a socket reopened since (the timer fires after the reconnection).
    presence(people, "alice", sockets=1, disconnected_at=long_ago)
    assert presence_expire(room_id=people["room"], user_id=people["alice"].id) is False
    assert participants(people) == {"host", "alice", "bob"}
    presence(people, "alice", sockets=0)
    assert presence_expire(room_id=people["room"], user_id=people["alice"].id) is True
    assert participants(people) == {"host", "bob"}


def test_a_block_makes_the_blocked_participant_leave_and_closes_their_sockets(people):
    async def scenario():
        room = people["room"]
        host = await open_socket(f"/ws/rooms/{room}/", people["host"])
        alice = await open_socket(f"/ws/rooms/{room}/", people["alice"])
        for socket in (host, alice):
            await receive_type(socket, "auth_ok")
        response = await post(people["host"], f"/api/users/{people['alice'].id}/block/")
        assert response.status_code == 201
        for socket in (host, alice):
            left = await receive(socket)
            assert left["type"] == "left" and left["data"]["user"]["id"] == people["alice"].id
        assert await closed_with(alice) == 1000
        assert await host.receive_nothing(timeout=0.2)
        again = await open_socket(f"/ws/rooms/{room}/", people["alice"])
        assert await closed_with(again) == 4003
        await host.disconnect()

    run(scenario)
