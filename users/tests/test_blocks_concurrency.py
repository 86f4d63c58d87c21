"""A block racing follows between the same two users on PostgreSQL: no follow outlives the block,
and the counters match the follows left."""

import pytest
from rest_framework.test import APIClient

from tests.support import run_in_threads
from users.models import Block, Follow, Profile
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def race_once() -> None:
    alice, bob = UserFactory(), UserFactory()
    statuses: dict[int, int] = {}

    def act(i: int) -> None:
        if i == 0:
            statuses[i] = client(alice).post(f"/api/users/{bob.id}/block/").status_code
        elif i % 2:
            statuses[i] = client(bob).post(f"/api/users/{alice.id}/follow/").status_code
        else:
            statuses[i] = client(alice).post(f"/api/users/{bob.id}/follow/").status_code

    run_in_threads(5, act)
    assert statuses[0] == 201
    # Each follow either came first (and the block removed it) or met the block (403).
    assert all(code in (200, 201, 403) for i, code in statuses.items() if i)
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    assert not Follow.objects.filter(follower__in=[alice, bob], followee__in=[alice, bob]).exists()
    for user in (alice, bob):
        profile = Profile.objects.get(pk=user.pk)
        assert (profile.followers_count, profile.following_count) == (0, 0)


def test_concurrent_follows_and_a_block_leave_no_follow(live_services):
    for _ in range(5):
        race_once()
