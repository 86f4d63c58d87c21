"""Messages: sending (content rules, ``allow_messages_from``), the message list and read markers, unread
counts on both sides, and the ``message`` notification."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging import services, tasks
from messaging.models import Conversation, Message, Participant
from messaging.tests.factories import ConversationFactory, MessageFactory
from notifications.models import Notification
from users.models import Follow, Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/messages/"
MESSAGE_FIELDS = {"id", "conversation", "sender", "content", "created_at"}


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def chat(alice, bob):
    """The one-to-one conversation of alice and bob."""
    return ConversationFactory(creator=alice, members=[bob])


@pytest.fixture
def send(client_for, django_capture_on_commit_callbacks):
    """``send(user, conversation, content)`` → the response, with the after-commit tasks run."""

    def run(user, conversation, content="hello", expect=201):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post(
                f"{URL}{conversation.id}/send_message/", {"content": content}, format="json"
            )
        assert response.status_code == expect, response.content
        return response

    return run


def unread(client, conversation=None) -> int:
    if conversation is None:
        return client.get(URL + "unread_count/").json()["unread_count"]
    return client.get(f"{URL}{conversation.id}/").json()["unread_count"]


# --- Sending ------------------------------------------------------------------------------------


def test_send_message_returns_it_and_makes_it_the_latest_activity(send, alice, bob, chat):
    before = Conversation.objects.get(pk=chat.pk).updated_at
    response = send(alice, chat, "  Hi Bob!  ")
    body = response.json()
    message = Message.objects.get()
    assert body == {
        "id": message.id,
        "conversation": chat.id,
        "sender": {"id": alice.id, "username": "alice", "display_name": "", "avatar": None},
        "content": "Hi Bob!",
        "created_at": body["created_at"],
    }
    assert (message.sender, message.conversation_id, message.content) == (alice, chat.id, "Hi Bob!")
    conversation = Conversation.objects.get(pk=chat.pk)
    assert conversation.last_message == message
    assert conversation.updated_at == message.created_at > before


def test_message_times_strictly_increase_within_a_conversation(alice, bob, chat):
    # Even when the clock says otherwise (a slower host, a clock step back).
    Conversation.objects.filter(pk=chat.pk).update(updated_at=timezone.now() + timedelta(minutes=5))
    first = MessageFactory(conversation=chat, sender=alice)
    second = MessageFactory(conversation=chat, sender=bob)
    assert second.created_at > first.created_at > timezone.now()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("", "This field may not be blank."),
        ("   \n\t ", "This field may not be blank."),
        ("x" * 2001, "Ensure this field has no more than 2000 characters."),
        ("a\x00b", "Null characters are not allowed."),
        (None, "This field may not be null."),
    ],
)
def test_bad_content_is_400(client_for, alice, chat, content, error):
    response = client_for(alice).post(f"{URL}{chat.id}/send_message/", {"content": content}, format="json")
    assert response.status_code == 400
    assert response.json() == {"content": [error]}
    assert not Message.objects.exists()


def test_missing_content_is_400_and_2000_characters_are_fine(client_for, alice, chat):
    response = client_for(alice).post(f"{URL}{chat.id}/send_message/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"content": ["This field is required."]}
    longest = "é" * 2000
    response = client_for(alice).post(f"{URL}{chat.id}/send_message/", {"content": longest}, format="json")
    assert response.status_code == 201
    assert Message.objects.get().content == longest


def test_service_rejects_bad_content_too(alice, chat):
    from django.core.exceptions import ValidationError

    from messaging.services import message_send

    for content in ("   ", "x" * 2001, "a\x00b"):
        with pytest.raises(ValidationError):
            message_send(conversation_id=chat.id, sender=alice, content=content)
    assert not Message.objects.exists()


def test_a_refused_one_to_one_message_is_403(send, client_for, alice, bob, chat):
    Profile.objects.filter(pk=bob.pk).update(allow_messages_from=Profile.MessagesFrom.FOLLOWING)
    response = send(alice, chat, "are you there?", expect=403)
    assert response.json() == {"detail": "@bob only accepts messages from people they follow."}
    assert not Message.objects.exists()
    assert not Notification.objects.exists()
    # bob can still write to alice (she accepts everyone), and alice can answer once bob follows her.
    send(bob, chat, "I can")
    Follow.objects.create(follower=bob, followee=alice)
    send(alice, chat, "now I can too")
    assert list(Message.objects.order_by("id").values_list("sender__username", flat=True)) == ["bob", "alice"]


def test_group_messages_are_not_refused_per_message(send, alice, bob):
    carol = UserFactory()
    group = ConversationFactory(creator=alice, members=[bob, carol])
    Profile.objects.filter(pk=bob.pk).update(allow_messages_from=Profile.MessagesFrom.FOLLOWING)
    send(carol, group, "hi all")
    assert Message.objects.count() == 1


# --- Reading -------------------------------------------------------------------------------------


def test_messages_list_newest_first_with_a_cursor(client_for, alice, bob, chat):
    sent = [MessageFactory(conversation=chat, sender=(alice, bob)[i % 2], content=f"m{i}") for i in range(5)]
    first = client_for(alice).get(f"{URL}{chat.id}/messages/", {"page_size": 3})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"next", "previous", "results"}
    assert [m["content"] for m in body["results"]] == ["m4", "m3", "m2"]
    assert set(body["results"][0]) == MESSAGE_FIELDS
    assert body["results"][0]["id"] == sent[4].id and body["results"][0]["conversation"] == chat.id
    assert body["results"][0]["sender"]["username"] == "alice"
    # A new message does not shift the next page.
    MessageFactory(conversation=chat, sender=bob, content="m5")
    second = client_for(alice).get(body["next"]).json()
    assert [m["content"] for m in second["results"]] == ["m1", "m0"]
    assert second["next"] is None
    assert client_for(alice).get(f"{URL}{chat.id}/messages/", {"cursor": "nope"}).status_code == 400


def test_unread_counts_for_each_side_before_and_after_reading(client_for, alice, bob, chat):
    carol = UserFactory()
    other = ConversationFactory(creator=carol, members=[bob])
    as_alice, as_bob = client_for(alice), client_for(bob)
    assert (unread(as_alice, chat), unread(as_bob, chat), unread(as_alice), unread(as_bob)) == (0, 0, 0, 0)

    MessageFactory(conversation=chat, sender=alice)
    MessageFactory(conversation=chat, sender=alice)
    MessageFactory(conversation=other, sender=carol)
    # Your own messages are never unread for you.
    assert (unread(as_alice, chat), unread(as_alice)) == (0, 0)
    assert (unread(as_bob, chat), unread(as_bob, other), unread(as_bob)) == (2, 1, 3)
    listed = {c["id"]: c["unread_count"] for c in as_bob.get(URL).json()["results"]}
    assert listed == {chat.id: 2, other.id: 1}

    # Reading the messages marks them read, for the reader only.
    assert len(as_bob.get(f"{URL}{chat.id}/messages/").json()["results"]) == 2
    assert (unread(as_bob, chat), unread(as_bob, other), unread(as_bob)) == (0, 1, 1)
    assert (
        Participant.objects.get(conversation=chat, user=bob).last_read_at
        == chat.messages.latest("created_at").created_at
    )

    # bob answers: alice has one unread; sending counts as having read what came before.
    MessageFactory(conversation=chat, sender=bob)
    assert (unread(as_alice, chat), unread(as_alice), unread(as_bob, chat)) == (1, 1, 0)
    as_alice.get(f"{URL}{chat.id}/messages/")
    assert (unread(as_alice, chat), unread(as_alice)) == (0, 0)
    assert unread(as_bob) == 1


def test_reading_an_older_page_never_moves_the_marker_back(client_for, alice, bob, chat):
    for _ in range(3):
        MessageFactory(conversation=chat, sender=bob)
    as_alice = client_for(alice)
    first = as_alice.get(f"{URL}{chat.id}/messages/", {"page_size": 2}).json()
    marker = Participant.objects.get(conversation=chat, user=alice).last_read_at
    as_alice.get(first["next"])
    assert Participant.objects.get(conversation=chat, user=alice).last_read_at == marker
    assert unread(as_alice, chat) == 0


def test_reading_a_page_of_older_messages_only_leaves_the_newer_unread(client_for, alice, bob, chat):
    MessageFactory.create_batch(3, conversation=chat, sender=bob)
    as_alice = client_for(alice)
    page = as_alice.get(f"{URL}{chat.id}/messages/", {"page_size": 2}).json()
    MessageFactory(conversation=chat, sender=bob)  # arrives after the page was read
    as_alice.get(page["next"])
    assert unread(as_alice, chat) == 1


def test_messages_list_runs_a_fixed_number_of_queries(client_for, alice, bob, chat, django_assert_max_num_queries):
    MessageFactory(conversation=chat, sender=bob)
    # The participant, the page, the read marker and the (absent) message notifications to mark read.
    with django_assert_max_num_queries(4) as one:
        assert len(client_for(alice).get(f"{URL}{chat.id}/messages/").json()["results"]) == 1
    queries_for_one = len(one.captured_queries)
    carol = UserFactory()
    group = ConversationFactory(creator=alice, members=[bob, carol])
    for i in range(20):
        MessageFactory(conversation=group, sender=(alice, bob, carol)[i % 3])
    with django_assert_max_num_queries(queries_for_one):
        assert len(client_for(alice).get(f"{URL}{group.id}/messages/").json()["results"]) == 20


# --- The message notification -----------------------------------------------------------------------


def notifications():
    return list(
        Notification.objects.order_by("id").values_list(
            "recipient__username", "actor__username", "type", "post_id", "conversation_id"
        )
    )


def test_a_message_notifies_the_other_participant(send, client_for, alice, bob, chat):
    message_id = send(alice, chat, "ping").json()["id"]
    assert notifications() == [("bob", "alice", "message", None, chat.id)]
    assert Notification.objects.get().dedupe_key == f"message:{message_id}"
    listed = client_for(bob).get("/api/notifications/", {"type": "message"}).json()["results"]
    assert listed == [
        {
            "id": listed[0]["id"],
            "type": "message",
            "actor": {"id": alice.id, "username": "alice", "display_name": "", "avatar": None},
            "post": None,
            "post_excerpt": None,
            "conversation": chat.id,
            "created_at": listed[0]["created_at"],
            "is_read": False,
        }
    ]
    assert client_for(alice).get("/api/notifications/").json()["results"] == []


def test_a_group_message_notifies_every_other_current_participant_once(send, alice, bob):
    carol, dave = UserFactory(username="carol"), UserFactory(username="dave")
    group = ConversationFactory(creator=alice, members=[bob, carol, dave])
    Participant.objects.filter(conversation=group, user=dave).update(left_at=timezone.now())
    message_id = send(bob, group, "hi all").json()["id"]
    assert notifications() == [("alice", "bob", "message", None, group.id), ("carol", "bob", "message", None, group.id)]
    # The task running again (a redelivery) adds nothing.
    tasks.notify_message_task.delay(message_id=message_id)
    assert len(notifications()) == 2
    # Each message is its own notification.
    send(bob, group, "anyone?")
    assert len(notifications()) == 4


def test_a_message_notification_points_at_its_message(send, alice, bob, chat):
    first = send(alice, chat, "one").json()["id"]
    second = send(alice, chat, "two").json()["id"]
    rows = Notification.objects.filter(recipient=bob).order_by("id").values_list("message_id", "dedupe_key")
    assert list(rows) == [(first, f"message:{first}"), (second, f"message:{second}")]
    # Deleting a message (here with its sender's account) deletes its notification.
    Message.objects.filter(pk=first).delete()
    assert list(Notification.objects.values_list("message_id", flat=True)) == [second]


def test_message_notifications_are_one_insert(alice):
    members = UserFactory.create_batch(10)
    group = ConversationFactory(creator=alice, members=members)
    message = MessageFactory(conversation=group, sender=alice)
    with CaptureQueriesContext(connection) as queries:
        tasks.notify_message_task.delay(message_id=message.id)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "notifications_notification" in inserts[0]
    assert Notification.objects.filter(type="message").count() == 10


def test_a_message_task_for_a_vanished_message_does_nothing(alice, chat):
    message = MessageFactory(conversation=chat, sender=alice)
    message_id = message.id
    Conversation.objects.filter(pk=chat.pk).delete()
    assert tasks.notify_message_task.delay(message_id=message_id).successful()
    assert notifications() == []


def test_deleting_a_conversation_deletes_its_notifications(send, alice, chat):
    send(alice, chat)
    assert Notification.objects.count() == 1
    Conversation.objects.filter(pk=chat.pk).delete()
    assert not Notification.objects.exists()
    assert not Message.objects.exists()


def unread_notifications(client) -> int:
    return client.get("/api/notifications/unread_count/").json()["unread_count"]


def test_reading_a_conversation_marks_its_message_notifications_read(send, client_for, alice, bob, chat):
    carol = UserFactory(username="carol")
    other = ConversationFactory(creator=carol, members=[bob])
    send(alice, chat, "one")
    send(alice, chat, "two")
    send(carol, other, "elsewhere")
    as_bob = client_for(bob)
    assert unread_notifications(as_bob) == 3
    assert as_bob.get(f"{URL}{chat.id}/messages/").status_code == 200
    # The two of this conversation are read; the other conversation's stays unread.
    assert unread_notifications(as_bob) == 1
    unread_left = as_bob.get("/api/notifications/", {"unread": "true"}).json()["results"]
    assert [(n["type"], n["conversation"]) for n in unread_left] == [("message", other.id)]
    # Reading again changes nothing; alice's own notifications (none) are untouched.
    as_bob.get(f"{URL}{chat.id}/messages/")
    assert unread_notifications(as_bob) == 1
    assert unread_notifications(client_for(alice)) == 0


def test_reading_an_older_page_leaves_newer_message_notifications_unread(send, client_for, alice, bob, chat):
    for content in ("one", "two", "three"):
        send(alice, chat, content)
    as_bob = client_for(bob)
    page = as_bob.get(f"{URL}{chat.id}/messages/", {"page_size": 2}).json()
    assert unread_notifications(as_bob) == 0
    send(alice, chat, "four")  # arrives after the first page was read
    as_bob.get(page["next"])
    assert unread_notifications(as_bob) == 1


def test_marking_read_up_to_a_message_leaves_the_later_ones_notifications_unread(send, client_for, alice, bob, chat):
    for content in ("one", "two", "three"):
        send(alice, chat, content)
    oldest = Message.objects.filter(conversation=chat).order_by("created_at").first()
    participant = Participant.objects.get(conversation=chat, user=bob)
    Participant.objects.filter(pk=participant.pk).update(last_read_at=oldest.created_at - timedelta(seconds=1))
    participant.refresh_from_db()
    assert services.conversation_mark_read(participant=participant, up_to=oldest.created_at)
    assert unread_notifications(client_for(bob)) == 2
    assert Notification.objects.get(recipient=bob, dedupe_key=f"message:{oldest.id}").is_read


def test_answering_marks_the_conversations_message_notifications_read(send, client_for, alice, bob, chat):
    send(alice, chat, "question?")
    as_bob = client_for(bob)
    assert unread_notifications(as_bob) == 1
    send(bob, chat, "answer")
    assert unread_notifications(as_bob) == 0
    assert unread_notifications(client_for(alice)) == 1  # bob's answer
