"""Audio rooms over REST: create, list, join, leave, end, raise a hand, speakers."""

import pytest

from rooms.models import Participant, Room
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOM_FIELDS = {"id", "title", "host", "status", "participants", "created_at", "ended_at"}


@pytest.fixture
def host(client_for):
    return client_for(UserFactory(username="host"))


@pytest.fixture
def room(host):
    response = host.post("/api/rooms/", {"title": "  Friday chat  "}, format="json")
    assert response.status_code == 201
    return response.json()


def test_create_room_makes_you_host(room, host):
    assert set(room) == ROOM_FIELDS
    assert room["title"] == "Friday chat" and room["status"] == "live" and room["ended_at"] is None
    assert room["host"]["id"] == host.user.id
    assert room["participants"] == [
        {
            "user": {"id": host.user.id, "username": "host", "display_name": "", "avatar": None},
            "role": "host",
            "hand_raised": False,
        }
    ]


@pytest.mark.parametrize("title", ["", "   ", "x" * 101])
def test_bad_title_is_400(host, title):
    response = host.post("/api/rooms/", {"title": title}, format="json")
    assert response.status_code == 400 and "title" in response.json()


def test_rooms_need_authentication(api_client, room):
    assert api_client.get("/api/rooms/").status_code == 401
    assert api_client.post("/api/rooms/", {"title": "x"}, format="json").status_code == 401
    assert api_client.get(f"/api/rooms/{room['id']}/").status_code == 401
    assert api_client.post(f"/api/rooms/{room['id']}/join/").status_code == 401


def test_list_live_rooms_newest_first(host, client_for, room):
    other = client_for(UserFactory()).post("/api/rooms/", {"title": "second"}, format="json").json()
    ended = host.post("/api/rooms/", {"title": "over"}, format="json").json()
    host.post(f"/api/rooms/{ended['id']}/end/")
    listing = host.get("/api/rooms/").json()
    assert set(listing) == {"next", "previous", "results"}
    assert [r["id"] for r in listing["results"]] == [other["id"], room["id"]]


ROOM_ACTIONS = [
    ("post", "join/"),
    ("post", "leave/"),
    ("post", "end/"),
    ("post", "raise_hand/"),
    ("post", "speakers/{user}/"),
    ("delete", "speakers/{user}/"),
]


def test_unknown_room_is_404(host):
    assert host.get("/api/rooms/9999/").status_code == 404
    for method, action in ROOM_ACTIONS:
        response = getattr(host, method)(f"/api/rooms/9999/{action.format(user=host.user.id)}")
        assert response.status_code == 404, (method, action)


def test_every_room_action_needs_authentication(api_client, room, host):
    for method, action in ROOM_ACTIONS:
        response = getattr(api_client, method)(f"/api/rooms/{room['id']}/{action.format(user=host.user.id)}")
        assert response.status_code == 401, (method, action)


def test_only_the_host_changes_roles_either_way_and_not_in_an_ended_room(client_for, host, room):
    guest = client_for(UserFactory())
    guest.post(f"/api/rooms/{room['id']}/join/")
    speakers = f"/api/rooms/{room['id']}/speakers/{guest.user.id}/"
    assert guest.post(speakers).status_code == 403
    assert guest.delete(speakers).status_code == 403
    host.post(f"/api/rooms/{room['id']}/end/")
    assert host.post(speakers).status_code == 400
    assert host.delete(speakers).status_code == 400
    assert host.post(f"/api/rooms/{room['id']}/raise_hand/").status_code == 400


def test_room_detail_and_join_run_a_fixed_number_of_queries(client_for, host, room):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counted(request) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert request().status_code == 200
        return len(queries.captured_queries)

    detail = f"/api/rooms/{room['id']}/"
    join = f"/api/rooms/{room['id']}/join/"
    first, last = client_for(UserFactory()), client_for(UserFactory())
    small = counted(lambda: host.get(detail)), counted(lambda: first.post(join))
    for _ in range(8):
        client_for(UserFactory()).post(join)
    large = counted(lambda: host.get(detail)), counted(lambda: last.post(join))
    assert small == large
    assert small[0] <= 3


def test_join_gives_ice_servers_and_is_idempotent(client_for, room, settings):
    settings.ICE_SERVERS = [{"urls": ["turn:turn.example.com:3478"], "username": "u", "credential": "p"}]
    guest = client_for(UserFactory())
    first = guest.post(f"/api/rooms/{room['id']}/join/")
    assert first.status_code == 200
    assert first.json()["ice_servers"] == settings.ICE_SERVERS
    assert [p["role"] for p in first.json()["participants"]] == ["host", "listener"]
    again = guest.post(f"/api/rooms/{room['id']}/join/")
    assert again.status_code == 200 and len(again.json()["participants"]) == 2
    assert Participant.objects.filter(room_id=room["id"]).count() == 2


def test_join_ended_or_full_room_is_400(client_for, host, room, settings):
    settings.ROOM_MAX_PARTICIPANTS = 2
    assert client_for(UserFactory()).post(f"/api/rooms/{room['id']}/join/").status_code == 200
    full = client_for(UserFactory()).post(f"/api/rooms/{room['id']}/join/")
    assert full.status_code == 400 and full.json() == {"detail": "This room is full."}
    host.post(f"/api/rooms/{room['id']}/end/")
    ended = client_for(UserFactory()).post(f"/api/rooms/{room['id']}/join/")
    assert ended.status_code == 400 and ended.json() == {"detail": "This room has ended."}


def test_leave(client_for, room):
    guest = client_for(UserFactory())
    guest.post(f"/api/rooms/{room['id']}/join/")
    response = guest.post(f"/api/rooms/{room['id']}/leave/")
    assert response.status_code == 200
    assert [p["role"] for p in response.json()["participants"]] == ["host"]
    assert response.json()["status"] == "live"
    assert guest.post(f"/api/rooms/{room['id']}/leave/").status_code == 400


def test_host_leaving_ends_the_room(host, room):
    response = host.post(f"/api/rooms/{room['id']}/leave/")
    assert response.status_code == 200
    assert response.json()["status"] == "ended" and response.json()["ended_at"]


def test_end_is_host_only(client_for, host, room):
    guest = client_for(UserFactory())
    guest.post(f"/api/rooms/{room['id']}/join/")
    assert guest.post(f"/api/rooms/{room['id']}/end/").status_code == 403
    response = host.post(f"/api/rooms/{room['id']}/end/")
    assert response.status_code == 200 and response.json()["status"] == "ended"
    assert Room.objects.get(pk=room["id"]).status == "ended"


def test_raise_hand(client_for, room):
    guest = client_for(UserFactory())
    assert guest.post(f"/api/rooms/{room['id']}/raise_hand/").status_code == 400
    guest.post(f"/api/rooms/{room['id']}/join/")
    response = guest.post(f"/api/rooms/{room['id']}/raise_hand/")
    assert response.status_code == 200
    assert response.json()["participants"][1]["hand_raised"] is True


def test_speakers_promote_and_demote(client_for, host, room):
    guest_user = UserFactory()
    guest = client_for(guest_user)
    guest.post(f"/api/rooms/{room['id']}/join/")
    guest.post(f"/api/rooms/{room['id']}/raise_hand/")
    url = f"/api/rooms/{room['id']}/speakers/{guest_user.id}/"
    assert guest.post(url).status_code == 403
    promoted = host.post(url)
    assert promoted.status_code == 200
    assert promoted.json()["participants"][1] == {
        "user": {"id": guest_user.id, "username": guest_user.username, "display_name": "", "avatar": None},
        "role": "speaker",
        "hand_raised": False,
    }
    demoted = host.delete(url)
    assert demoted.json()["participants"][1]["role"] == "listener"
    assert host.post(f"/api/rooms/{room['id']}/speakers/{UserFactory().id}/").status_code == 404
    assert host.post(f"/api/rooms/{room['id']}/speakers/{host.user.id}/").status_code == 400


def test_room_list_runs_a_fixed_number_of_queries(client_for, host, django_assert_max_num_queries):
    def make_room():
        room = client_for(UserFactory()).post("/api/rooms/", {"title": "r"}, format="json").json()
        client_for(UserFactory()).post(f"/api/rooms/{room['id']}/join/")

    make_room()
    with django_assert_max_num_queries(6) as one:
        assert len(host.get("/api/rooms/").json()["results"]) == 1
    queries_for_one = len(one.captured_queries)
    for _ in range(4):
        make_room()
    with django_assert_max_num_queries(queries_for_one):
        assert len(host.get("/api/rooms/").json()["results"]) == 5


# --- A block ends a shared room at once -------------------------------------------------------


def members(room_id: int) -> set[int]:
    return set(Participant.objects.filter(room_id=room_id).values_list("user_id", flat=True))


@pytest.mark.parametrize("who_blocks", ["host", "guest"])
def test_a_block_makes_the_one_in_the_others_room_leave_it(
    client_for, host, room, who_blocks, django_capture_on_commit_callbacks
):
    guest, bystander = UserFactory(), UserFactory()
    for user in (guest, bystander):
        assert client_for(user).post(f"/api/rooms/{room['id']}/join/").status_code == 200
    # The guest hosts a room of their own, which the host joined.
    own = client_for(guest).post("/api/rooms/", {"title": "mine"}, format="json").json()["id"]
    assert host.post(f"/api/rooms/{own}/join/").status_code == 200
    blocker, blocked = (host.user, guest) if who_blocks == "host" else (guest, host.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(blocker).post(f"/api/users/{blocked.id}/block/").status_code == 201
    # Each left the room the other hosts; the rooms stay live with everyone else.
    assert members(room["id"]) == {host.user.id, bystander.id}
    assert members(own) == {guest.id}
    assert Room.objects.filter(status=Room.Status.LIVE).count() == 2
    detail = host.get(f"/api/rooms/{room['id']}/").json()
    assert {p["user"]["id"] for p in detail["participants"]} == {host.user.id, bystander.id}
    assert client_for(guest).post(f"/api/rooms/{room['id']}/leave/").status_code == 400
    assert client_for(guest).post(f"/api/rooms/{room['id']}/join/").status_code == 403
    # Blocking again changes nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(blocker).post(f"/api/users/{blocked.id}/block/").status_code == 200
    assert members(room["id"]) == {host.user.id, bystander.id}


def test_a_block_between_two_guests_leaves_them_in_a_third_partys_room(
    client_for, room, django_capture_on_commit_callbacks
):
    alice, bob = UserFactory(), UserFactory()
    for user in (alice, bob):
        client_for(user).post(f"/api/rooms/{room['id']}/join/")
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(alice).post(f"/api/users/{bob.id}/block/").status_code == 201
    assert {alice.id, bob.id} <= members(room["id"])


def test_leaving_across_a_block_does_nothing_once_the_block_is_gone(client_for, host, room):
    from rooms.services import rooms_leave_across_block
    from users import services as user_services

    guest = UserFactory()
    client_for(guest).post(f"/api/rooms/{room['id']}/join/")
    assert rooms_leave_across_block(user_ids=[host.user.id, guest.id]) == 0  # no block
    user_services.block_create(blocker=host.user, blocked=guest)  # its task not run yet
    assert guest.id in members(room["id"])
    assert rooms_leave_across_block(user_ids=[host.user.id, guest.id]) == 1
    assert rooms_leave_across_block(user_ids=[host.user.id, guest.id]) == 0  # run twice: nothing more
    assert members(room["id"]) == {host.user.id}
