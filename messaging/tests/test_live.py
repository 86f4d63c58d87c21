"""The real stack: concurrent requests against PostgreSQL (one one-to-one conversation per pair,
ordered message times) and a Celery worker on the Redis broker creating the message notification."""

import pytest
from rest_framework.test import APIClient

from messaging.models import Conversation, Message, Participant
from notifications.models import Notification
from tests.support import run_in_threads, wait_for
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_concurrent_creates_of_the_same_one_to_one_conversation_make_one(live_services):
    alice, bob = UserFactory(), UserFactory()
    answers: list[tuple[int, int]] = []

    def create(i: int) -> None:
        # Both sides at once: alice with bob and bob with alice are the same conversation.
        me, other = (alice, bob) if i % 2 else (bob, alice)
        response = client(me).post("/api/messages/", {"participant_ids": [other.id]}, format="json")
        answers.append((response.status_code, response.json()["id"]))

    run_in_threads(6, create)
    conversation = Conversation.objects.get()
    assert sorted(status for status, _ in answers) == [200] * 5 + [201]
    assert {conversation_id for _, conversation_id in answers} == {conversation.id}
    assert set(Participant.objects.values_list("user_id", flat=True)) == {alice.id, bob.id}
    assert Participant.objects.count() == 2


def test_concurrent_sends_to_one_conversation_keep_time_order_and_the_last_message(live_services):
    alice, bob = UserFactory(), UserFactory()
    conversation_id = client(alice).post("/api/messages/", {"participant_ids": [bob.id]}, format="json").json()["id"]

    def send(i: int) -> None:
        sender = (alice, bob)[i % 2]
        for n in range(3):
            response = client(sender).post(
                f"/api/messages/{conversation_id}/send_message/", {"content": f"{i}.{n}"}, format="json"
            )
            assert response.status_code == 201, response.content

    run_in_threads(6, send)
    messages = list(Message.objects.order_by("id"))
    assert len(messages) == 18
    times = [m.created_at for m in messages]
    # Insert order is time order, without ties: the read markers are exact.
    assert times == sorted(times) and len(set(times)) == 18
    conversation = Conversation.objects.get()
    assert conversation.last_message_id == messages[-1].id
    assert conversation.updated_at == messages[-1].created_at


def test_a_live_worker_creates_the_message_notification(live_services):
    alice, bob, carol = UserFactory(username="alice"), UserFactory(username="bob"), UserFactory(username="carol")
    with live_services.celery_worker():
        created = client(alice).post("/api/messages/", {"participant_ids": [bob.id, carol.id]}, format="json")
        assert created.status_code == 201
        conversation_id = created.json()["id"]
        sent = client(alice).post(
            f"/api/messages/{conversation_id}/send_message/", {"content": "hello both"}, format="json"
        )
        assert sent.status_code == 201
        wait_for(lambda: Notification.objects.count() >= 2, timeout=30)
    rows = set(Notification.objects.values_list("recipient__username", "actor__username", "type", "conversation_id"))
    assert rows == {("bob", "alice", "message", conversation_id), ("carol", "alice", "message", conversation_id)}
    listed = client(bob).get("/api/notifications/").json()["results"]
    assert [(n["type"], n["conversation"], n["post"]) for n in listed] == [("message", conversation_id, None)]
    assert client(bob).get("/api/messages/unread_count/").json() == {"unread_count": 1}
