"""Password reset by an emailed 6-digit code."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from users.models import PasswordResetCode
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REQUEST = "/api/users/password_reset/"
CONFIRM = "/api/users/password_reset/confirm/"
NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def request_code(api_client, django_capture_on_commit_callbacks):
    def run(email: str):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(REQUEST, {"email": email}, format="json")
        assert response.status_code == 202
        return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1) if mail.outbox else None

    return run


def confirm(client, email, code, password=NEW_PASSWORD):
    return client.post(CONFIRM, {"email": email, "code": code, "new_password": password}, format="json")


def test_request_emails_a_code_stored_only_hashed(user, request_code):
    code = request_code(user.email.upper())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert code in message.alternatives[0][0] and message.alternatives[0][1] == "text/html"
    record = PasswordResetCode.objects.get(user=user)
    assert code not in record.code_hash
    assert record.expires_at - record.created_at == timedelta(minutes=10)


def test_request_for_unknown_email_looks_the_same(api_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = api_client.post(REQUEST, {"email": user.email}, format="json")
        unknown = api_client.post(REQUEST, {"email": "ghost@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 1


def _sent(client, path, body):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, body, format="json")
    headers = {k: v for k, v in response.items() if k.lower() != "x-request-id"}
    return response.status_code, response.content, headers, len(queries)


def test_request_for_known_and_unknown_emails_answers_the_same_bytes_after_the_same_work(api_client, user, monkeypatch):
    enqueued = []
    monkeypatch.setattr("users.services.enqueue_on_commit", lambda task, **kwargs: enqueued.append(task.name))
    known = _sent(api_client, REQUEST, {"email": user.email})
    assert enqueued == ["users.send_password_reset_email"]
    unknown = _sent(api_client, REQUEST, {"email": "ghost@example.com"})
    assert known == unknown
    assert known[0] == 202
    assert enqueued == ["users.send_password_reset_email"] * 2


def test_the_task_enqueued_for_an_unknown_email_does_nothing(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert api_client.post(REQUEST, {"email": "ghost@example.com"}, format="json").status_code == 202
    assert len(callbacks) == 1
    assert mail.outbox == [] and not PasswordResetCode.objects.exists()


def test_confirm_for_known_and_unknown_emails_answers_the_same_bytes_after_the_same_work(api_client, user):
    body = {"code": "123456", "new_password": NEW_PASSWORD}
    known = _sent(api_client, CONFIRM, {**body, "email": user.email})
    unknown = _sent(api_client, CONFIRM, {**body, "email": "ghost@example.com"})
    assert known == unknown
    assert known[0] == 400


def test_request_invalid_email_is_400(api_client):
    response = api_client.post(REQUEST, {"email": "nope"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


def test_confirm_sets_password_and_revokes_refresh_tokens(api_client, user, request_code):
    pair = api_client.post("/api/users/token/", {"username": user.username, "password": PASSWORD}).json()
    code = request_code(user.email)
    response = confirm(api_client, user.email, code)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert api_client.post("/api/users/token/refresh/", {"refresh": pair["refresh"]}).status_code == 401
    login = api_client.post("/api/users/token/", {"username": user.username, "password": NEW_PASSWORD})
    assert login.status_code == 200


def test_code_is_single_use(api_client, user, request_code):
    code = request_code(user.email)
    assert confirm(api_client, user.email, code).status_code == 200
    again = confirm(api_client, user.email, code, "yet-another-passphrase")
    assert again.status_code == 400
    assert "code" in again.json()


def test_wrong_code_is_400_and_counts_an_attempt(api_client, user, request_code):
    code = request_code(user.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = confirm(api_client, user.email, wrong)
    assert response.status_code == 400
    assert response.json() == {"code": ["The code is invalid or has expired."]}
    assert PasswordResetCode.objects.get(user=user).attempts == 1


def test_five_wrong_tries_burn_the_code(api_client, user, request_code):
    code = request_code(user.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert confirm(api_client, user.email, wrong).status_code == 400
    assert confirm(api_client, user.email, code).status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_expired_code_is_400(api_client, user, request_code):
    code = request_code(user.email)
    PasswordResetCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert confirm(api_client, user.email, code).status_code == 400


def test_new_request_voids_earlier_codes(api_client, user, request_code):
    first = request_code(user.email)
    second = request_code(user.email)
    if first == second:  # one chance in a million
        pytest.skip("the two random codes collided")
    assert confirm(api_client, user.email, first).status_code == 400
    assert confirm(api_client, user.email, second).status_code == 200


def test_weak_new_password_is_400_and_keeps_the_code(api_client, user, request_code):
    code = request_code(user.email)
    response = confirm(api_client, user.email, code, "123")
    assert response.status_code == 400
    assert "new_password" in response.json()
    assert confirm(api_client, user.email, code).status_code == 200


def test_confirm_for_unknown_email_is_400(api_client):
    response = confirm(api_client, "ghost@example.com", "123456")
    assert response.status_code == 400
    assert response.json() == {"code": ["The code is invalid or has expired."]}


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", ""])
def test_malformed_code_is_400(api_client, user, code):
    response = confirm(api_client, user.email, code)
    assert response.status_code == 400
    assert "code" in response.json()


def test_codes_of_other_users_do_not_work(api_client, user, request_code):
    other = UserFactory()
    code = request_code(other.email)
    assert confirm(api_client, user.email, code).status_code == 400
