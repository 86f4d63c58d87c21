"""Login sessions: logout ends one session (its access tokens and sockets too), setting a password
ends them all."""

import contextlib
import re

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import UntypedToken

from tests.support import run_in_threads, skip_unless_available
from tests.support.sockets import closed_with, open_socket, receive_type
from users.admin import UserAdmin
from users.models import User
from users.tests.factories import PASSWORD, UserFactory

TOKEN = "/api/users/token/"
REFRESH = "/api/users/token/refresh/"
LOGOUT = "/api/users/logout/"
ME = "/api/users/me/"
EVENTS = "/ws/events/"
NEW_PASSWORD = "a-brand-new-passphrase"


def decode(token: str) -> dict:
    return UntypedToken(token).payload


def login(user, password=PASSWORD) -> dict:
    response = APIClient().post(TOKEN, {"username": user.username, "password": password}, format="json")
    assert response.status_code == 200
    return response.json()


def me_status(access: str) -> int:
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code


def refresh_status(refresh: str) -> int:
    return APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code


def reset_password(user, capture_on_commit=None):
    """Through the API; ``capture_on_commit`` runs the after-commit work of a test in a transaction."""

    def step():
        return capture_on_commit(execute=True) if capture_on_commit else contextlib.nullcontext()

    client = APIClient()
    with step():
        assert client.post("/api/users/password_reset/", {"email": user.email}, format="json").status_code == 202
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    body = {"email": user.email, "code": code, "new_password": NEW_PASSWORD}
    with step():
        assert client.post("/api/users/password_reset/confirm/", body, format="json").status_code == 200


@pytest.mark.django_db
def test_logout_ends_that_sessions_access_tokens_and_no_other_session():
    user = UserFactory()
    phone, laptop = login(user), login(user)
    assert APIClient().post(LOGOUT, {"refresh": phone["refresh"]}, format="json").status_code == 205
    assert me_status(phone["access"]) == 401
    assert me_status(laptop["access"]) == 200
    assert refresh_status(phone["refresh"]) == 401
    assert refresh_status(laptop["refresh"]) == 200


@pytest.mark.django_db
def test_a_logged_out_session_stays_ended_across_rotation():
    user = UserFactory()
    first = login(user)
    rotated = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json").json()
    assert APIClient().post(LOGOUT, {"refresh": rotated["refresh"]}, format="json").status_code == 205
    # The access tokens minted before and after the rotation belong to the same session.
    assert me_status(first["access"]) == 401
    assert me_status(rotated["access"]) == 401


def require_postgres():
    skip_unless_available(None if settings.IS_POSTGRES else "needs PostgreSQL (concurrent transactions)", "PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_mint_one_new_pair():
    # Two live refresh tokens of one session would outlive its logout: the ended session is
    # remembered only as long as an access token of it can be valid.
    require_postgres()
    refresh = login(UserFactory())["refresh"]
    statuses: list[int] = []
    run_in_threads(6, lambda _: statuses.append(refresh_status(refresh)))
    assert sorted(statuses) == [200] + [401] * 5


@pytest.mark.django_db(transaction=True)
def test_a_logout_racing_a_refresh_of_the_same_token_leaves_no_live_token():
    require_postgres()
    refresh = login(UserFactory())["refresh"]
    results: dict[str, object] = {}

    def act(i: int) -> None:
        if i % 2:
            response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")
            results.setdefault("refresh", []).append((response.status_code, response.json().get("refresh")))
        else:
            response = APIClient().post(LOGOUT, {"refresh": refresh}, format="json")
            results.setdefault("logout", []).append(response.status_code)

    run_in_threads(6, act)
    minted = [token for code, token in results["refresh"] if code == 200]
    logged_out = results["logout"].count(205)
    # The token is used once: either rotated (and every logout with it refused) or logged out.
    assert len(minted) + logged_out == 1


@pytest.mark.django_db
def test_a_refresh_parses_its_token_once_and_costs_a_fixed_number_of_queries(django_assert_num_queries):
    refresh = login(UserFactory())["refresh"]
    # The blacklist check, the user, then (atomically) the used token blacklisted and the new one
    # recorded.
    with django_assert_num_queries(7):
        response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_logout_costs_a_fixed_number_of_queries(django_assert_num_queries):
    refresh = login(UserFactory())["refresh"]
    # The blacklist check, then (atomically) the token blacklisted and the session ended on the
    # locked user row.
    with django_assert_num_queries(7):
        response = APIClient().post(LOGOUT, {"refresh": refresh}, format="json")
    assert response.status_code == 205


@pytest.mark.django_db
def test_a_password_reset_ends_every_session_and_a_new_login_works(django_capture_on_commit_callbacks):
    user = UserFactory()
    phone, laptop = login(user), login(user)
    reset_password(user, django_capture_on_commit_callbacks)
    for session in (phone, laptop):
        assert me_status(session["access"]) == 401
        assert refresh_status(session["refresh"]) == 401
    assert me_status(login(user, NEW_PASSWORD)["access"]) == 200


@pytest.mark.django_db
def test_the_admin_setting_a_password_ends_every_session(django_capture_on_commit_callbacks):
    user = UserFactory()
    session = login(user)
    assert issubclass(UserAdmin.change_password_form, AdminPasswordChangeForm)
    form = UserAdmin.change_password_form(user, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        form.save()
    assert me_status(session["access"]) == 401
    assert refresh_status(session["refresh"]) == 401


@pytest.mark.django_db
def test_the_session_check_costs_no_query_beyond_loading_the_user():
    user = UserFactory()
    access = login(user)["access"]
    forced = APIClient()
    forced.force_authenticate(user)
    with CaptureQueriesContext(connection) as without_token:
        assert forced.get("/api/notifications/").status_code == 200
    with CaptureQueriesContext(connection) as with_token:
        assert APIClient().get("/api/notifications/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    assert len(with_token) == len(without_token) + 1


@pytest.mark.django_db
def test_ended_sessions_are_forgotten_once_their_access_tokens_have_expired(settings):
    from users.authentication import revoked_sessions_after_ending

    lifetime = int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())
    now = 1_000_000
    kept = revoked_sessions_after_ending({"old": now - lifetime - 120, "recent": now - 10}, "new", now=now)
    assert kept == {"recent": now - 10, "new": now}


# --- sockets -----------------------------------------------------------------------------------


def run(scenario):
    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_logout_closes_that_sessions_sockets_with_4001_and_no_other():
    user = UserFactory()
    phone, laptop = login(user), login(user)

    async def scenario():
        phone_socket = await open_socket(EVENTS, token=phone["access"])
        laptop_socket = await open_socket(EVENTS, token=laptop["access"])
        for socket in (phone_socket, laptop_socket):
            await receive_type(socket, "unread_count")
        logout = await sync_to_async(APIClient().post)(LOGOUT, {"refresh": phone["refresh"]}, format="json")
        assert logout.status_code == 205
        assert await closed_with(phone_socket) == 4001
        assert await laptop_socket.receive_nothing(timeout=0.3)
        # The ended session's token can't open a new socket either.
        again = await open_socket(EVENTS, token=phone["access"])
        assert await closed_with(again) == 4001
        await laptop_socket.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_password_reset_closes_every_socket_of_the_user_only():
    user, other = UserFactory(), UserFactory()
    session = login(user)

    async def scenario():
        events = await open_socket(EVENTS, token=session["access"])
        second = await open_socket(EVENTS, user)
        bystander = await open_socket(EVENTS, other)
        for socket in (events, second, bystander):
            await receive_type(socket, "unread_count")
        await sync_to_async(reset_password)(user)
        assert await closed_with(events) == 4001
        assert await closed_with(second) == 4001
        assert await bystander.receive_nothing(timeout=0.3)
        again = await open_socket(EVENTS, token=session["access"])
        assert await closed_with(again) == 4001
        await bystander.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_setting_a_password_outside_the_api_closes_every_socket_and_revokes_refresh_tokens():
    # What ``manage.py changepassword`` and a shell do: set_password, then save.
    user, other = UserFactory(), UserFactory()
    session = login(user)

    def change_password():
        account = User.objects.get(pk=user.pk)
        account.set_password(NEW_PASSWORD)
        account.save()

    async def scenario():
        socket = await open_socket(EVENTS, token=session["access"])
        bystander = await open_socket(EVENTS, other)
        for each in (socket, bystander):
            await receive_type(each, "unread_count")
        await sync_to_async(change_password)()
        assert await closed_with(socket) == 4001
        assert await bystander.receive_nothing(timeout=0.3)
        await bystander.disconnect()

    run(scenario)
    assert refresh_status(session["refresh"]) == 401
    assert not OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_deactivating_a_user_closes_every_socket_and_revokes_refresh_tokens():
    user, other = UserFactory(), UserFactory()
    session = login(user)

    async def scenario():
        socket = await open_socket(EVENTS, token=session["access"])
        bystander = await open_socket(EVENTS, other)
        for each in (socket, bystander):
            await receive_type(each, "unread_count")
        # The admin's "Deactivate selected users" action.
        await sync_to_async(UserAdmin._set_active)(User.objects.filter(pk=user.pk), False)
        assert await closed_with(socket) == 4001
        assert await bystander.receive_nothing(timeout=0.3)
        await bystander.disconnect()

    run(scenario)
    UserAdmin._set_active(User.objects.filter(pk=user.pk), True)
    # Reactivated, the account logs in again: the sessions it had are over.
    assert refresh_status(session["refresh"]) == 401
    assert me_status(login(user)["access"]) == 200


@pytest.mark.django_db
def test_saving_a_user_without_a_new_password_or_deactivation_keeps_its_sessions():
    user = UserFactory()
    session = login(user)
    account = User.objects.get(pk=user.pk)
    account.first_name = "Ann"
    account.save()
    account.is_active = True
    account.save(update_fields=["is_active"])
    assert refresh_status(session["refresh"]) == 200
    assert not BlacklistedToken.objects.exclude(token__jti=decode(session["refresh"])["jti"]).exists()


@pytest.mark.django_db(transaction=True)
def test_a_logout_committed_while_a_socket_authenticates_still_closes_it(monkeypatch):
    import realtime.auth

    session = login(UserFactory())
    checked = realtime.auth.user_for_token

    async def check_then_log_out(token):
        # The logout commits (and closes the session's sockets) right after the socket's check.
        found = await checked(token)
        assert (await sync_to_async(APIClient().post)(LOGOUT, {"refresh": session["refresh"]})).status_code == 205
        return found

    monkeypatch.setattr(realtime.auth, "user_for_token", check_then_log_out)

    async def scenario():
        socket = await open_socket(EVENTS, token=session["access"])
        while True:
            output = await socket.receive_output(timeout=2)
            if output["type"] == "websocket.close":
                break
        assert output["code"] == 4001

    run(scenario)
