"""Approving a follow request while its requester cancels it, on PostgreSQL: whichever comes first,
the cancel wins, and no request, follow or count is left half-done."""

import pytest
from rest_framework.test import APIClient

from tests.support import run_in_threads
from users.models import Follow, FollowRequest, Profile
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_approve_while_cancelling_leaves_no_follow_and_exact_counts(live_services):
    locked = UserFactory()
    Profile.objects.filter(pk=locked.pk).update(is_protected=True)
    fans = UserFactory.create_batch(8)
    for fan in fans:
        assert client(fan).post(f"/api/users/{locked.id}/follow/").status_code == 202
    requests = dict(FollowRequest.objects.filter(target=locked).values_list("requester_id", "id"))
    statuses: dict[str, list[int]] = {"approve": [], "unfollow": []}

    def race(i: int) -> None:
        fan = fans[i // 2]
        if i % 2:
            response = client(fan).post(f"/api/users/{locked.id}/unfollow/")
            assert response.status_code == 200
            statuses["unfollow"].append(response.status_code)
        else:
            response = client(locked).post(f"/api/users/follow_requests/{requests[fan.id]}/approve/")
            assert response.status_code in (200, 404)
            statuses["approve"].append(response.status_code)

    run_in_threads(2 * len(fans), race)
    assert len(statuses["approve"]) == len(statuses["unfollow"]) == len(fans)
    # The cancel came last or first: either way nobody follows and nothing is pending.
    assert not FollowRequest.objects.exists()
    assert not Follow.objects.filter(followee=locked).exists()
    assert Profile.objects.get(pk=locked.pk).followers_count == 0
    assert all(Profile.objects.get(pk=fan.pk).following_count == 0 for fan in fans)


def test_concurrent_approvals_of_one_request_make_one_follow(live_services):
    locked, fan = UserFactory(), UserFactory()
    Profile.objects.filter(pk=locked.pk).update(is_protected=True)
    client(fan).post(f"/api/users/{locked.id}/follow/")
    request_id = FollowRequest.objects.get().pk
    codes: list[int] = []
    run_in_threads(
        6, lambda i: codes.append(client(locked).post(f"/api/users/follow_requests/{request_id}/approve/").status_code)
    )
    assert sorted(codes) == [200] + [404] * 5
    assert Follow.objects.filter(follower=fan, followee=locked).count() == 1
    assert Profile.objects.get(pk=locked.pk).followers_count == 1
    assert Profile.objects.get(pk=fan.pk).following_count == 1
