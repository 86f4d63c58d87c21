"""Conversations: starting one (one-to-one once per pair, groups), the list, one conversation,
leaving a group, who may see what, ``allow_messages_from``, the admin and the Swagger schema."""

import pytest

from messaging.models import Conversation, Message, Participant
from messaging.tests.factories import ConversationFactory, MessageFactory
from users.models import Follow, Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/messages/"
FIELDS = {"id", "participants", "title", "last_message", "unread_count", "created_at", "updated_at"}


def short(user) -> dict:
    return {"id": user.id, "username": user.username, "display_name": user.profile.display_name, "avatar": None}


def member_ids(conversation) -> set[int]:
    return set(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True).values_list("user_id", flat=True)
    )


def only_follows(user) -> None:
    Profile.objects.filter(pk=user.pk).update(allow_messages_from=Profile.MessagesFrom.FOLLOWING)
    user.profile.refresh_from_db()


# --- Creating ------------------------------------------------------------------------------------


def test_create_one_to_one_returns_the_new_conversation(auth_client, user):
    bob = UserFactory(username="bob", display_name="Bob B.")
    response = auth_client.post(URL, {"participant_ids": [bob.id]}, format="json")
    assert response.status_code == 201
    body = response.json()
    conversation = Conversation.objects.get()
    assert body == {
        "id": conversation.id,
        "participants": [short(user), short(bob)],
        "title": None,
        "last_message": None,
        "unread_count": 0,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert conversation.is_group is False and conversation.created_by == user
    assert conversation.direct_key == f"{min(user.id, bob.id)}:{max(user.id, bob.id)}"
    assert member_ids(conversation) == {user.id, bob.id}


def test_create_an_existing_one_to_one_returns_it_with_200(client_for, user):
    bob = UserFactory()
    first = client_for(user).post(URL, {"participant_ids": [bob.id]}, format="json")
    assert first.status_code == 201
    again = client_for(user).post(URL, {"participant_ids": [bob.id, bob.id, user.id]}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    # Whoever starts it: the same pair, the same conversation.
    reverse = client_for(bob).post(URL, {"participant_ids": [user.id]}, format="json")
    assert reverse.status_code == 200
    assert reverse.json()["id"] == first.json()["id"]
    assert Conversation.objects.count() == 1
    assert Participant.objects.count() == 2


def test_create_group_with_a_title(auth_client, user):
    bob, carol = UserFactory(), UserFactory()
    response = auth_client.post(URL, {"participant_ids": [bob.id, carol.id], "title": "  Book club  "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert body["title"] == "Book club"
    assert [p["id"] for p in body["participants"]] == [user.id, bob.id, carol.id]
    conversation = Conversation.objects.get(pk=body["id"])
    assert conversation.is_group and conversation.direct_key is None
    assert member_ids(conversation) == {user.id, bob.id, carol.id}


def test_each_group_creation_makes_a_new_group_and_the_title_is_optional(auth_client):
    bob, carol = UserFactory(), UserFactory()
    first = auth_client.post(URL, {"participant_ids": [bob.id, carol.id]}, format="json")
    second = auth_client.post(URL, {"participant_ids": [bob.id, carol.id], "title": ""}, format="json")
    assert first.status_code == second.status_code == 201
    assert first.json()["title"] is None and second.json()["title"] is None
    assert first.json()["id"] != second.json()["id"]


def test_a_group_of_fifty_is_the_most(auth_client, user):
    others = UserFactory.create_batch(50)
    too_many = auth_client.post(URL, {"participant_ids": [u.id for u in others]}, format="json")
    assert too_many.status_code == 400
    assert list(too_many.json()) == ["participant_ids"]
    largest = auth_client.post(URL, {"participant_ids": [u.id for u in others[:49]]}, format="json")
    assert largest.status_code == 201
    assert len(largest.json()["participants"]) == 50
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"participant_ids": []},
        {"participant_ids": "2"},
        {"participant_ids": ["bob"]},
        {"participant_ids": [0]},
        {"participant_ids": [2**70]},
        {"participant_ids": [999999]},
        {"participant_ids": list(range(1, 60))},
    ],
)
def test_create_with_bad_participant_ids_is_400(auth_client, payload):
    response = auth_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["participant_ids"]
    assert not Conversation.objects.exists()


def test_create_with_only_yourself_or_an_inactive_user_is_400(auth_client, user):
    alone = auth_client.post(URL, {"participant_ids": [user.id]}, format="json")
    assert alone.status_code == 400
    assert alone.json() == {"participant_ids": ["Name at least one other user."]}
    gone = UserFactory(is_active=False)
    inactive = auth_client.post(URL, {"participant_ids": [gone.id]}, format="json")
    assert inactive.status_code == 400
    assert inactive.json() == {"participant_ids": [f"Unknown users: {gone.id}."]}
    assert not Conversation.objects.exists()


def test_title_is_for_groups_only_and_at_most_100_characters(auth_client):
    bob, carol = UserFactory(), UserFactory()
    one_to_one = auth_client.post(URL, {"participant_ids": [bob.id], "title": "Us"}, format="json")
    assert one_to_one.status_code == 400
    assert one_to_one.json() == {"title": ["Only group conversations have a title."]}
    long = auth_client.post(URL, {"participant_ids": [bob.id, carol.id], "title": "x" * 101}, format="json")
    assert long.status_code == 400
    assert list(long.json()) == ["title"]
    assert not Conversation.objects.exists()


# --- allow_messages_from --------------------------------------------------------------------------


def test_someone_who_only_accepts_people_they_follow_cannot_be_messaged_by_others(auth_client, user):
    bob = UserFactory(username="bob")
    only_follows(bob)
    response = auth_client.post(URL, {"participant_ids": [bob.id]}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "@bob only accepts messages from people they follow."}
    assert not Conversation.objects.exists()
    # Following bob does not help: bob has to follow the sender.
    Follow.objects.create(follower=user, followee=bob)
    assert auth_client.post(URL, {"participant_ids": [bob.id]}, format="json").status_code == 403


def test_someone_who_only_accepts_people_they_follow_can_be_messaged_by_them(auth_client, user):
    bob = UserFactory()
    only_follows(bob)
    Follow.objects.create(follower=bob, followee=user)
    response = auth_client.post(URL, {"participant_ids": [bob.id]}, format="json")
    assert response.status_code == 201
    assert member_ids(Conversation.objects.get()) == {user.id, bob.id}


def test_a_group_needs_every_restrictive_member_to_follow_the_creator(auth_client, user):
    bob, carol, dave = UserFactory(username="bob"), UserFactory(username="carol"), UserFactory(username="dave")
    for someone in (bob, carol):
        only_follows(someone)
    Follow.objects.create(follower=carol, followee=user)
    response = auth_client.post(URL, {"participant_ids": [bob.id, carol.id, dave.id]}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "@bob only accepts messages from people they follow."}
    assert not Conversation.objects.exists()
    Follow.objects.create(follower=bob, followee=user)
    assert auth_client.post(URL, {"participant_ids": [bob.id, carol.id, dave.id]}, format="json").status_code == 201


# --- Reading ------------------------------------------------------------------------------------


def test_list_shows_my_conversations_most_recent_activity_first(client_for, user):
    bob, carol = UserFactory(), UserFactory()
    oldest = ConversationFactory(creator=user, members=[bob])
    group = ConversationFactory(creator=carol, members=[user, bob], title="Trio")
    newest = ConversationFactory(creator=carol, members=[user])
    ConversationFactory(creator=bob, members=[carol])  # not mine
    listed = client_for(user).get(URL).json()
    assert set(listed) == {"next", "previous", "results"}
    assert [c["id"] for c in listed["results"]] == [newest.id, group.id, oldest.id]
    # New activity moves a conversation to the top.
    message = MessageFactory(conversation=oldest, sender=bob, content="hello there")
    body = client_for(user).get(URL).json()["results"]
    assert [c["id"] for c in body] == [oldest.id, newest.id, group.id]
    first = body[0]
    assert set(first) == FIELDS
    assert first["participants"] == [short(user), short(bob)]
    assert first["last_message"] == {
        "id": message.id,
        "conversation": oldest.id,
        "sender": short(bob),
        "content": "hello there",
        "created_at": first["last_message"]["created_at"],
    }
    assert first["updated_at"] == first["last_message"]["created_at"]
    assert first["unread_count"] == 1
    assert body[2]["title"] == "Trio" and len(body[2]["participants"]) == 3


def test_list_pages_with_a_cursor(auth_client, user):
    conversations = [ConversationFactory(creator=user) for _ in range(3)]
    first = auth_client.get(URL, {"page_size": 2}).json()
    assert [c["id"] for c in first["results"]] == [conversations[2].id, conversations[1].id]
    assert first["next"] and first["previous"] is None
    # Activity on a conversation of the first page does not shift the next one.
    MessageFactory(conversation=conversations[2])
    second = auth_client.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == [conversations[0].id]
    assert second["next"] is None
    assert auth_client.get(URL, {"cursor": "garbage"}).status_code == 400


def test_retrieve_one_of_my_conversations(auth_client, user):
    bob = UserFactory()
    conversation = ConversationFactory(creator=bob, members=[user])
    MessageFactory(conversation=conversation, sender=user, content="first")
    last = MessageFactory(conversation=conversation, sender=bob, content="second")
    response = auth_client.get(f"{URL}{conversation.id}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"] == conversation.id
    assert body["participants"] == [short(bob), short(user)]
    assert body["last_message"]["id"] == last.id and body["last_message"]["sender"] == short(bob)
    assert body["unread_count"] == 1


def test_conversation_list_runs_a_fixed_number_of_queries(client_for, django_assert_max_num_queries):
    me, bob = UserFactory(), UserFactory()
    viewer = client_for(me)

    def add_conversation(i: int) -> None:
        other = UserFactory()
        if i % 2:
            conversation = ConversationFactory(creator=other, members=[me])
        else:
            conversation = ConversationFactory(creator=me, members=[other, bob], title=f"group {i}")
        MessageFactory(conversation=conversation, sender=other)
        MessageFactory(conversation=conversation, sender=me)
        MessageFactory(conversation=conversation, sender=other)

    add_conversation(1)
    with django_assert_max_num_queries(2) as one:
        assert viewer.get(URL).json()["results"][0]["unread_count"] == 1
    queries_for_one = len(one.captured_queries)
    for i in range(2, 21):
        add_conversation(i)
    with django_assert_max_num_queries(queries_for_one):
        results = viewer.get(URL).json()["results"]
    assert len(results) == 20
    assert {c["unread_count"] for c in results} == {1}
    assert {len(c["participants"]) for c in results} == {2, 3}


def test_unread_count_endpoint_is_one_query(auth_client, user, django_assert_num_queries):
    conversation = ConversationFactory(creator=user)
    MessageFactory.create_batch(
        2, conversation=conversation, sender=conversation.memberships.exclude(user=user).get().user
    )
    with django_assert_num_queries(1):
        assert auth_client.get(URL + "unread_count/").json() == {"unread_count": 2}


# --- Leaving ------------------------------------------------------------------------------------


def test_leave_a_group(client_for, user):
    bob, carol = UserFactory(), UserFactory()
    group = ConversationFactory(creator=bob, members=[user, carol])
    MessageFactory(conversation=group, sender=user, content="bye all")
    response = client_for(user).post(f"{URL}{group.id}/leave/")
    assert response.status_code == 200
    assert response.json() == {"detail": "You left the conversation."}
    membership = Participant.objects.get(conversation=group, user=user)
    assert membership.left_at is not None
    # Gone for the leaver...
    assert client_for(user).get(URL).json()["results"] == []
    assert client_for(user).get(f"{URL}{group.id}/").status_code == 404
    assert client_for(user).post(f"{URL}{group.id}/leave/").status_code == 404
    # ...still there for the others, without them; their messages stay.
    seen = client_for(bob).get(f"{URL}{group.id}/").json()
    assert [p["id"] for p in seen["participants"]] == [bob.id, carol.id]
    assert seen["last_message"]["content"] == "bye all"
    assert Message.objects.filter(conversation=group, sender=user).count() == 1


def test_a_one_to_one_conversation_cannot_be_left(auth_client, user):
    conversation = ConversationFactory(creator=user)
    response = auth_client.post(f"{URL}{conversation.id}/leave/")
    assert response.status_code == 400
    assert response.json() == {"detail": "A one-to-one conversation cannot be left."}
    assert member_ids(conversation) == {user.id, conversation.memberships.exclude(user=user).get().user_id}


# --- Who may see what ------------------------------------------------------------------------------

NESTED = [
    ("get", "{id}/", None),
    ("get", "{id}/messages/", None),
    ("post", "{id}/send_message/", {"content": "let me in"}),
    ("post", "{id}/send_message/", None),
    ("post", "{id}/leave/", None),
]


@pytest.fixture
def group(db):
    return ConversationFactory(members=UserFactory.create_batch(2), title="Secret club")


@pytest.mark.parametrize(("method", "path", "data"), NESTED)
def test_a_stranger_gets_404_on_every_endpoint_of_a_conversation(auth_client, group, method, path, data):
    MessageFactory(conversation=group, content="private")
    before = (Message.objects.count(), list(Participant.objects.values_list("id", "left_at")))
    response = getattr(auth_client, method)(URL + path.format(id=group.id), data, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert (Message.objects.count(), list(Participant.objects.values_list("id", "left_at"))) == before
    # The same answer as for a conversation that does not exist.
    missing = getattr(auth_client, method)(URL + path.format(id=999999), data, format="json")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})


@pytest.mark.parametrize(("method", "path", "data"), NESTED)
def test_someone_who_left_gets_404_on_every_endpoint(client_for, group, method, path, data):
    leaver = group.memberships.exclude(user=group.created_by).first().user
    assert client_for(leaver).post(f"{URL}{group.id}/leave/").status_code == 200
    messages = Message.objects.count()
    response = getattr(client_for(leaver), method)(URL + path.format(id=group.id), data, format="json")
    assert response.status_code == 404
    assert Message.objects.count() == messages


def test_strangers_do_not_see_a_conversation_in_lists_or_counts(auth_client, group):
    MessageFactory(conversation=group)
    assert auth_client.get(URL).json()["results"] == []
    assert auth_client.get(URL + "unread_count/").json() == {"unread_count": 0}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", URL),
        ("get", URL + "1/"),
        ("get", URL + "1/messages/"),
        ("post", URL + "1/send_message/"),
        ("post", URL + "1/leave/"),
        ("get", URL + "unread_count/"),
    ],
)
def test_every_endpoint_needs_authentication(api_client, method, path):
    response = getattr(api_client, method)(path, {}, format="json")
    assert response.status_code == 401
    assert "detail" in response.json()


# --- Admin and schema -------------------------------------------------------------------------------


def test_admin_shows_conversations_and_messages_read_only_and_searchable(client, user):
    staff = UserFactory(is_staff=True, is_superuser=True)
    bob = UserFactory(username="bobby")
    conversation = ConversationFactory(creator=user, members=[bob])
    message = MessageFactory(conversation=conversation, content="the secret recipe")
    MessageFactory(conversation=ConversationFactory(), content="something else")
    client.force_login(staff)
    assert client.get("/admin/messaging/conversation/").status_code == 200
    assert client.get(f"/admin/messaging/conversation/{conversation.id}/change/").status_code == 200
    assert client.get("/admin/messaging/conversation/", {"q": "bobby"}).context["cl"].result_count == 1
    assert client.get("/admin/messaging/message/").status_code == 200
    assert client.get("/admin/messaging/message/", {"q": "recipe"}).context["cl"].result_count == 1
    assert client.get("/admin/messaging/message/", {"q": user.username}).context["cl"].result_count == 1
    assert client.get("/admin/messaging/message/add/").status_code == 403
    assert client.get("/admin/messaging/conversation/add/").status_code == 403
    # Viewing is not changing.
    posted = client.post(f"/admin/messaging/message/{message.id}/change/", {"content": "edited"})
    assert posted.status_code == 403
    message.refresh_from_db()
    assert message.content == "the secret recipe"


def test_admin_lets_only_superusers_delete(client):
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="messaging"))
    message = MessageFactory()
    client.force_login(staff)
    assert client.get(f"/admin/messaging/message/{message.id}/change/").status_code == 200
    assert client.get(f"/admin/messaging/message/{message.id}/delete/").status_code == 403
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.post(f"/admin/messaging/message/{message.id}/delete/", {"post": "yes"}).status_code == 302
    assert not Message.objects.filter(pk=message.id).exists()


def test_swagger_documents_the_message_endpoints_with_their_schemas(api_client):
    schema = api_client.get("/swagger.json").json()
    base = schema["basePath"].rstrip("/")
    paths = {base + path: ops for path, ops in schema["paths"].items()}
    definitions = schema["definitions"]

    def ref(schema_or_ref):
        # A nullable nested object is {"allOf": [{"$ref": ...}], "x-nullable": true} in Swagger 2.
        schema_or_ref = schema_or_ref.get("allOf", [schema_or_ref])[0]
        return definitions[schema_or_ref["$ref"].split("/")[-1]]

    listing = paths["/api/messages/"]["get"]
    assert listing["tags"] == ["messages"]
    assert {"cursor", "page_size"} <= {p["name"] for p in listing["parameters"]}
    conversation = ref(listing["responses"]["200"]["schema"]["properties"]["results"]["items"])
    assert set(conversation["properties"]) == FIELDS
    assert conversation["properties"]["participants"]["type"] == "array"
    last_message = conversation["properties"]["last_message"]
    assert last_message["x-nullable"] is True  # null until the first message
    message = ref(last_message["allOf"][0])
    assert set(message["properties"]) == {"id", "conversation", "sender", "content", "created_at"}
    create = paths["/api/messages/"]["post"]
    assert {"201", "200", "400", "403"} <= set(create["responses"])
    body = next(p for p in create["parameters"] if p["in"] == "body")
    assert set(ref(body["schema"])["properties"]) == {"participant_ids", "title"}
    assert set(ref(paths["/api/messages/{id}/"]["get"]["responses"]["200"]["schema"])["properties"]) == FIELDS
    messages = paths["/api/messages/{id}/messages/"]["get"]
    assert {"cursor", "page_size"} <= {p["name"] for p in messages["parameters"]}
    page = ref(messages["responses"]["200"]["schema"])
    assert set(ref(page["properties"]["results"]["items"])["properties"]) == set(message["properties"])
    send = paths["/api/messages/{id}/send_message/"]["post"]
    assert {"201", "400", "403", "404"} <= set(send["responses"])
    assert set(ref(send["responses"]["201"]["schema"])["properties"]) == set(message["properties"])
    leave = paths["/api/messages/{id}/leave/"]["post"]
    assert {"200", "400", "404"} <= set(leave["responses"])
    unread = ref(paths["/api/messages/unread_count/"]["get"]["responses"]["200"]["schema"])
    assert set(unread["properties"]) == {"unread_count"}
    for ops in (paths[p] for p in paths if p.startswith("/api/messages/")):
        for method, operation in ops.items():
            if method != "parameters":
                assert operation["tags"] == ["messages"]
                assert "security" not in operation  # the global Bearer requirement applies


@pytest.mark.parametrize(("method", "path", "data"), NESTED)
def test_an_id_beyond_the_integer_range_is_404(auth_client, method, path, data):
    response = getattr(auth_client, method)(URL + path.format(id=10**30), data, format="json")
    assert response.status_code == 404


def test_leaving_a_group_reads_its_message_notifications(client_for, user, django_capture_on_commit_callbacks):
    bob = UserFactory()
    group = ConversationFactory(creator=bob, members=[user, UserFactory()])
    elsewhere = ConversationFactory(creator=bob, members=[user])
    for conversation in (group, group, elsewhere):
        with django_capture_on_commit_callbacks(execute=True):
            client_for(bob).post(f"{URL}{conversation.id}/send_message/", {"content": "hi"}, format="json")
    unread = lambda: client_for(user).get("/api/notifications/unread_count/").json()["unread_count"]  # noqa: E731
    assert unread() == 3
    assert client_for(user).post(f"{URL}{group.id}/leave/").status_code == 200
    assert unread() == 1  # the one-to-one conversation's stays
