"""Usernames: NFKC, one script, and no look-alike of a name already taken (a unique skeleton)."""

from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from users.models import User
from users.tests.factories import UserFactory
from users.usernames import MIXED_SCRIPTS, USERNAME_TAKEN, username_skeleton

pytestmark = pytest.mark.django_db

REGISTER = "/api/users/"


def register(client, username, email="newbie@example.com"):
    return client.post(REGISTER, {"username": username, "email": email, "password": "a-long-secret-phrase"})


@pytest.mark.parametrize(
    ("existing", "look_alike"),
    [
        ("alice", "\u0430lice"),  # Cyrillic а in a Latin name
        ("alice", "ａｌｉｃｅ"),  # full-width letters
        ("alice", "ALICE"),
        ("alice", "a1ice"),
        ("modern", "rnodern"),
        ("ape", "\u0430\u0440\u0435"),  # all Cyrillic: one script, and still a look-alike
        ("straße", "STRASSE"),
        ("paypal", "paypaI"),  # capital I, which many fonts draw as a small l
        ("PAYPAL", "paypaI"),
        ("paypa1", "paypaI"),
        ("user1", "userI"),
        ("userl", "userI"),
        ("userI", "user1"),
    ],
)
def test_registering_a_look_alike_of_a_taken_username_is_400_taken(api_client, existing, look_alike):
    UserFactory(username=existing)
    response = register(api_client, look_alike)
    assert response.status_code == 400
    assert response.json() == {"username": [USERNAME_TAKEN]}
    assert User.objects.count() == 1


def test_a_mixed_script_username_is_refused_even_when_free(api_client):
    response = register(api_client, "p\u0430ypal")
    assert response.status_code == 400
    assert response.json() == {"username": [MIXED_SCRIPTS]}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("username", "stored"),
    [("иван", "иван"), ("山田taro", "山田taro"), ("김철수kim", "김철수kim"), ("ｂｏｂ", "bob"), ("zoë_1.x", "zoë_1.x")],
)
def test_one_script_names_register_stored_nfkc(api_client, username, stored):
    response = register(api_client, username)
    assert response.status_code == 201, response.content
    assert response.json()["username"] == stored
    user = User.objects.get()
    assert user.username == stored and user.username_skeleton == username_skeleton(stored)


def test_a_capital_i_looks_like_a_small_l_and_a_one_in_the_skeleton():
    assert {username_skeleton(name) for name in ("paypaI", "PAYPAL", "paypal", "paypa1", "PAYPA1")} == {"paypal"}
    assert username_skeleton("userI") == username_skeleton("user1") == username_skeleton("userl")


@pytest.mark.parametrize(
    "name", ["paypaI", "ALICE", "Ivan", "0liver", "ＩＯＵ", "STRASSE", "rnodern", "\u0430\u0440\u0435"]
)
def test_a_skeleton_is_its_own_skeleton(name):
    skeleton = username_skeleton(name)
    assert username_skeleton(skeleton) == skeleton


def test_the_database_refuses_two_look_alikes_written_at_once():
    UserFactory(username="alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        # As a concurrent registration would, past the service's check.
        User.objects.create_user(username="\u0430lice", email="other@example.com", password="x")


def test_renaming_keeps_the_skeleton_and_the_model_check_refuses_a_look_alike():
    UserFactory(username="alice")
    bob = UserFactory(username="bob")
    bob.username = "robert"
    bob.save(update_fields=["username"])
    bob.refresh_from_db()
    assert bob.username_skeleton == "robert"
    bob.username = "\u0430lice"
    with pytest.raises(ValidationError) as raised:
        bob.full_clean()  # what the admin's change form runs
    assert USERNAME_TAKEN in raised.value.message_dict["username"]
    assert MIXED_SCRIPTS in raised.value.message_dict["username"]


def test_a_look_alike_registered_before_the_rule_can_be_edited_without_renaming_it():
    UserFactory(username="alice")
    legacy = UserFactory(username="bob")
    # Registered before the look-alike and one-script rules: kept with a key of its own.
    User.objects.filter(pk=legacy.pk).update(username="\u0430lice", username_skeleton=f"alice #{legacy.pk}")
    legacy = User.objects.get(pk=legacy.pk)
    legacy.email = "new-address@example.com"
    legacy.full_clean()  # what the admin's change form runs
    legacy.save()
    assert User.objects.get(pk=legacy.pk).email == "new-address@example.com"
    # Renamed, the name meets the rules again.
    legacy.username = "\u0430lic\u0435"
    with pytest.raises(ValidationError) as raised:
        legacy.full_clean()
    assert raised.value.message_dict["username"] == [MIXED_SCRIPTS, USERNAME_TAKEN]


def test_the_migration_backfills_skeletons_and_keeps_older_look_alikes_apart():
    first, second = UserFactory(username="alice"), UserFactory(username="bob")
    # A look-alike registered before the rule existed: simulate the column before the backfill.
    User.objects.filter(pk=second.pk).update(username="\u0430lice", username_skeleton="pending 2")
    User.objects.filter(pk=first.pk).update(username_skeleton="pending 1")
    migration = import_module("users.migrations.0005_username_skeleton_single_line_names")
    migration.backfill_skeletons(apps, None)
    assert User.objects.get(pk=first.pk).username_skeleton == "alice"
    assert User.objects.get(pk=second.pk).username_skeleton == f"alice #{second.pk}"


def test_the_migration_recomputes_skeletons_and_keeps_older_look_alikes_apart():
    _, legacy, bob, carol = (UserFactory(username=n) for n in ("paypal", "x", "bob", "carol"))
    # Stored under the previous skeleton, which folded case before mapping look-alikes: "paypaI"
    # was not a look-alike of "paypal" then. Carol's row holds the key Bob's name now maps to.
    User.objects.filter(pk=legacy.pk).update(username="paypaI", username_skeleton="paypai")
    User.objects.filter(pk=bob.pk).update(username="userI", username_skeleton="useri")
    User.objects.filter(pk=carol.pk).update(username="userl2", username_skeleton="userl")
    migration = import_module("users.migrations.0007_recompute_username_skeletons")
    migration.recompute_skeletons(apps, None)
    skeletons = dict(User.objects.values_list("username", "username_skeleton"))
    assert skeletons == {
        "paypal": "paypal",
        "paypaI": f"paypal #{legacy.pk}",
        "userI": "userl",
        "userl2": "userl2",
    }
