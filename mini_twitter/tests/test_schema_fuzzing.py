"""Schema fuzzing: every operation of ``/swagger.json``, called in-process through the WSGI app with
schemathesis-generated requests (valid and invalid), as a real user with a JWT (and an api key for
the microblog API), against a database holding that user's posts, media, notifications,
conversations, rooms and api keys and other users' ones. No response may be a 5xx, and every
response must match the schema: a documented status code, the documented content type, and a body
(and headers) of the documented shape.

Each example runs inside a savepoint that is rolled back, with the cache emptied, so every example
sees the same data whatever the ones before it did (a deleted post, a left room), and a run is
reproducible (``derandomize``). Path ids are drawn half the time from the rows that exist, so the
operations get past their 404s."""

import os

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mini_twitter.wsgi import application
from notifications.models import Notification
from tests.support import clear_cache

# Hypothesis examples per operation, on top of schemathesis's coverage cases; raise it for a deeper run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))


def documented_content_type(ctx, response, case):
    """``content_type_conformance``, except for bodiless answers (204, 205): Swagger 2.0 has one
    ``produces`` list per operation, which a response without content has no reason to name."""
    if response.status_code in (204, 205) and not response.content:
        return None
    return content_type_conformance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    documented_content_type,
    response_headers_conformance,
    response_schema_conformance,
]

loaded_schema = schemathesis.openapi.from_wsgi("/swagger.json", application)
loaded_schema.config.generation.update(max_examples=MAX_EXAMPLES)

# Ids of the rows the fixture made, by kind, for the path parameters (filled per test).
KNOWN: dict[str, list] = {}

# Which kind of row each path parameter names, by the start of the operation's path.
PATH_KINDS = [
    ("/posts/", {"id": "post"}),
    ("/tweets/", {"tweet_id": "post"}),
    ("/hashtags/", {"name": "hashtag"}),
    ("/media/", {"id": "media"}),
    ("/notifications/", {"id": "notification"}),
    ("/messages/", {"id": "conversation"}),
    ("/rooms/", {"id": "room", "user_id": "user"}),
    ("/users/api_keys/", {"id": "api_key"}),
    ("/users/profiles/", {"id": "user"}),
    ("/users/", {"id": "user", "user_id": "user"}),
]


def _kinds_for(path: str) -> dict[str, str]:
    for prefix, kinds in PATH_KINDS:
        if path.startswith(prefix):
            return kinds
    return {}


@loaded_schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, replace each path parameter by the id (or name) of a row that exists."""
    if not path_parameters:
        return st.just(path_parameters)
    kinds = _kinds_for(context.operation.path)
    strategies = {}
    for name, value in path_parameters.items():
        known = KNOWN.get(kinds.get(name, ""), [])
        strategies[name] = st.one_of(st.just(value), st.sampled_from(known)) if known else st.just(value)
    return st.fixed_dictionaries(strategies)


def _build_world() -> tuple[dict[str, list], dict[str, str]]:
    """The rows the fuzzer works on, made through the services; returns the known ids and the
    request headers of the main user."""
    from media.services import media_create
    from media.tests.images import upload
    from messaging import services as messaging_services
    from posts import services as post_services
    from posts.models import Hashtag
    from rooms import services as room_services
    from users import services as user_services
    from users.tests.factories import UserFactory

    me = UserFactory(username="fuzzer", display_name="Fuzz Er")
    alice = UserFactory(username="alice_f")
    bob = UserFactory(username="bob_f")
    user_services.follow_create(follower=me, followee=alice)
    user_services.follow_create(follower=alice, followee=me)
    user_services.follow_create(follower=bob, followee=me)

    media = media_create(owner=me, upload=upload())
    spare_media = media_create(owner=me, upload=upload())
    mine = post_services.post_create(author=me, content="hello #fuzz @alice_f", media_ids=[media.pk])
    theirs = post_services.post_create(author=alice, content="a #Fuzz reply to @fuzzer", reply_to_id=mine.pk)
    other = post_services.post_create(author=bob, content="bob's #other post")
    post_services.like_create(user=alice, post=mine)
    post_services.retweet_create(user=bob, post=mine)
    post_services.like_create(user=me, post=other)
    post_services.retweet_create(user=me, post=theirs)

    one_to_one = messaging_services.conversation_create(creator=me, participant_ids=[alice.pk]).conversation
    group = messaging_services.conversation_create(
        creator=alice, participant_ids=[me.pk, bob.pk], title="the group"
    ).conversation
    foreign = messaging_services.conversation_create(creator=alice, participant_ids=[bob.pk]).conversation
    messaging_services.message_send(conversation_id=one_to_one.pk, sender=alice, content="hi")
    messaging_services.message_send(conversation_id=group.pk, sender=bob, content="hello all")
    messaging_services.message_send(conversation_id=foreign.pk, sender=bob, content="secret")

    my_room = room_services.room_create(host=me, title="my room")
    room_services.room_join(room_id=my_room.pk, user=alice)
    their_room = room_services.room_create(host=bob, title="bob's room")
    room_services.room_join(room_id=their_room.pk, user=me)
    ended = room_services.room_create(host=alice, title="ended")
    room_services.room_end(room_id=ended.pk, user=alice)

    api_key, key = user_services.api_key_create(user=me, name="fuzz")
    other_key, _ = user_services.api_key_create(user=alice, name="alice's")

    known = {
        "user": [me.pk, alice.pk, bob.pk],
        "post": [mine.pk, theirs.pk, other.pk],
        "hashtag": list(Hashtag.objects.values_list("name", flat=True)),
        "media": [media.pk, spare_media.pk],
        "conversation": [one_to_one.pk, group.pk, foreign.pk],
        "room": [my_room.pk, their_room.pk, ended.pk],
        "api_key": [api_key.pk, other_key.pk],
    }
    headers = {"Authorization": f"Bearer {AccessToken.for_user(me)}", "api-key": key}
    return known, headers


@pytest.fixture(scope="module")
def fuzz_data(django_db_setup, django_db_blocker, tmp_path_factory):
    """The data, built once for the module and committed (so the notifications are made by their
    after-commit tasks), then flushed, as a transactional test would; every example runs in a
    rolled-back savepoint on top of it."""
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("fuzz-media")))
    media.enable()
    try:
        with django_db_blocker.unblock():
            clear_cache()
            known, headers = _build_world()
            known["notification"] = list(Notification.objects.values_list("pk", flat=True))
        assert len(known["notification"]) > 5, "the data should include notifications"
        yield known, headers
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)
            clear_cache()
        media.disable()


@pytest.fixture
def fuzz_world(fuzz_data, db, settings):
    """The main user's request headers, with the known ids published to the path parameter hook,
    throttle rates no example reaches, and without the request signals that would close the test's
    database connection (the WSGI app is called directly, not through Django's test client)."""
    known, headers = fuzz_data
    settings.THROTTLE_RATE_ANON = "100000/min"
    settings.THROTTLE_RATE_USER = "100000/min"
    KNOWN.clear()
    KNOWN.update(known)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield headers
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        KNOWN.clear()


@pytest.mark.django_db
@loaded_schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_operation_conforms_to_schema(case, fuzz_world):
    clear_cache()  # throttles, cached pages and timelines: each example starts from the same state
    with transaction.atomic():
        try:
            case.call_and_validate(headers=fuzz_world, checks=CHECKS)
        finally:
            transaction.set_rollback(True)


# --- What the fuzzer found, pinned down ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/users/", "/api/users/profiles/", "/api/search/?q=a&type=users"])
def test_a_page_number_past_any_offset_is_an_empty_page(api_client, user, path):
    sep = "&" if "?" in path else "?"
    response = api_client.get(f"{path}{sep}page={2**63}")
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_options_on_update_my_profile_describes_it(auth_client):
    response = auth_client.options("/api/users/profiles/update_my_profile/")
    assert response.status_code == 200
    assert "PUT" in response.json()["actions"]


@pytest.mark.django_db
def test_a_post_to_an_unknown_api_path_is_a_json_404(auth_client):
    response = auth_client.post("/api/messages/not-an-id/leave/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_schema_documents_nullable_objects_empty_strings_and_common_errors(api_client):
    spec = api_client.get("/swagger.json").json()
    definitions = spec["definitions"]
    for definition, field in (("Conversation", "last_message"), ("FeedItem", "retweeted_by")):
        assert definitions[definition]["properties"][field]["x-nullable"] is True
    assert "minLength" not in definitions["User"]["properties"]["bio"]
    assert "format" not in definitions["Profile"]["properties"]["website"]
    assert {"401", "429"} <= set(spec["paths"]["/posts/{id}/like/"]["post"]["responses"])
    assert "400" in spec["paths"]["/posts/"]["get"]["responses"]  # a bad cursor
    assert "400" in spec["paths"]["/users/"]["get"]["responses"]  # a NUL character, refused everywhere
    search_item = spec["paths"]["/search/"]["get"]["responses"]["200"]["schema"]["$ref"]
    assert search_item == "#/definitions/PaginatedSearchResult"
    assert {"content", "username", "name"} <= set(definitions["SearchResult"]["properties"])
