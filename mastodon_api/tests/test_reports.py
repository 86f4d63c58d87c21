"""Filing reports through the Mastodon API: the native reports, as Mastodon's Report."""

import pytest
from django.test import override_settings

from mastodon_api.entities.report import report_entity
from moderation.models import Report
from moderation.selectors import report_list
from moderation.services import report_resolve
from posts.models import Post
from posts.tests.factories import PostFactory
from users import services
from users.tests.factories import UserFactory

from .entities import assert_account

pytestmark = pytest.mark.django_db

# Mastodon.py told the server's version, so that it does not read /api/v1/instance first.
CLIENT_OPTIONS = {"version_check_mode": "created", "mastodon_version": "4.3.0"}

URL = "/api/v1/reports"
REPORT_KEYS = {
    "id", "action_taken", "action_taken_at", "category", "comment", "forwarded", "created_at", "status_ids",
    "rule_ids", "target_account",
}  # fmt: skip


def test_report_an_account_with_statuses_as_a_form(mastodon_client, user, other_user):
    posts = [PostFactory(author=other_user) for _ in range(2)]
    body = {"account_id": str(other_user.pk), "status_ids[]": [str(p.pk) for p in posts], "comment": "spam!"}
    response = mastodon_client(user, "write:reports").post(URL, {**body, "category": "spam", "forward": "true"})
    assert response.status_code == 200, response.content
    report = response.json()
    assert set(report) == REPORT_KEYS
    stored = Report.objects.get()
    assert report["id"] == str(stored.pk)
    assert report["action_taken"] is False and report["action_taken_at"] is None
    assert report["category"] == "spam" and report["comment"] == "spam!" and report["forwarded"] is False
    assert report["created_at"].endswith("Z")
    assert report["status_ids"] == [str(p.pk) for p in posts] and report["rule_ids"] is None
    assert report["target_account"]["id"] == str(other_user.pk)
    assert_account(report["target_account"])
    assert (stored.reporter, stored.user, stored.reason) == (user, other_user, Report.Reason.SPAM)
    assert sorted(stored.posts.values_list("pk", flat=True)) == [p.pk for p in posts]


@pytest.mark.parametrize(
    ("category", "reason"),
    [("legal", "illegal"), ("violation", "abuse"), ("other", "other"), (None, "other")],
)
def test_categories_are_the_native_reasons(mastodon_client, user, other_user, category, reason):
    body = {"account_id": other_user.pk} | ({"category": category} if category else {})
    response = mastodon_client(user).post(URL, body, format="json")
    assert response.status_code == 200
    assert response.json()["category"] == (category or "other")
    assert Report.objects.get().reason == reason
    assert response.json()["status_ids"] == [] and response.json()["comment"] == ""


def test_a_resolved_report_shows_action_taken(mastodon_client, user, other_user):
    response = mastodon_client(user).post(URL, {"account_id": other_user.pk}, format="json")
    report_resolve(report=Report.objects.get(), by=UserFactory(is_staff=True), note="done")
    entity = report_entity(report_list(reporter=user).get(), request=response.wsgi_request)
    assert entity["action_taken"] is True and entity["action_taken_at"].endswith("Z")


def test_unknown_accounts_and_statuses_are_not_found(mastodon_client, user, other_user):
    client = mastodon_client(user)
    someone_elses = PostFactory()
    hidden = PostFactory(author=other_user)
    Post.objects.filter(pk=hidden.pk).update(visibility=Post.Visibility.FOLLOWERS)
    suspended = UserFactory(is_active=False)
    for body in (
        {},
        {"account_id": "nope"},
        {"account_id": str(10**12)},
        {"account_id": str(suspended.pk)},
        {"account_id": str(other_user.pk), "status_ids": [str(someone_elses.pk)]},
        {"account_id": str(other_user.pk), "status_ids": [str(hidden.pk)]},
        {"account_id": str(other_user.pk), "status_ids": ["x"]},
    ):
        response = client.post(URL, body, format="json")
        assert response.status_code == 404, body
        assert response.json() == {"error": "Record not found"}
    assert not Report.objects.exists()
    services.follow_create(follower=user, followee=other_user)  # now a follower: it can be seen
    assert client.post(URL, {"account_id": other_user.pk, "status_ids": [hidden.pk]}, format="json").status_code == 200


def test_invalid_input_is_422(mastodon_client, user, other_user):
    client = mastodon_client(user)
    posts = [PostFactory(author=other_user) for _ in range(21)]
    for body in (
        {"account_id": other_user.pk, "category": "rude"},
        {"account_id": other_user.pk, "category": ["spam"]},
        {"account_id": other_user.pk, "rule_ids": ["1"]},
        {"account_id": other_user.pk, "comment": "x" * 1001},
        {"account_id": other_user.pk, "status_ids": [p.pk for p in posts]},
        {"account_id": user.pk},  # myself
        ["not", "an", "object"],
    ):
        response = client.post(URL, body, format="json")
        assert response.status_code == 422, body
        assert response.json()["error"].startswith("Validation failed: ")
    assert not Report.objects.exists()


def test_tokens_and_scopes(mastodon_client, user, other_user):
    body = {"account_id": other_user.pk}
    assert mastodon_client().post(URL, body, format="json").status_code == 401
    assert mastodon_client(user, "read write:statuses").post(URL, body, format="json").status_code == 403
    assert mastodon_client(None, "write", app_token=True).post(URL, body, format="json").status_code == 422
    assert mastodon_client(user, "write").post(URL, body, format="json").status_code == 200


@override_settings(THROTTLE_RATE_USER="40/min", THROTTLE_SENSITIVE_DIVISOR=10)
def test_filing_is_throttled_with_the_native_endpoint(mastodon_client, client_for, user, other_user):
    client = mastodon_client(user)
    codes = [client.post(URL, {"account_id": other_user.pk}, format="json").status_code for _ in range(3)]
    native = client_for(user).post("/api/reports/", {"user_id": other_user.pk, "reason": "spam"}, format="json")
    assert [*codes, native.status_code] == [200, 200, 200, 201]
    response = client.post(URL, {"account_id": other_user.pk}, format="json")
    assert response.status_code == 429 and response.json() == {"error": "Too many requests"}
    assert Report.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_mastodon_py_files_a_report(live_server, mastodon_token):
    from mastodon import Mastodon

    me, spammer = UserFactory(), UserFactory()
    post = PostFactory(author=spammer)
    client = Mastodon(access_token=mastodon_token(me), api_base_url=live_server.url, **CLIENT_OPTIONS)
    report = client.report(spammer.pk, status_ids=[post.pk], comment="buy now", category="spam")
    assert int(report.target_account.id) == spammer.pk and [int(i) for i in report.status_ids] == [post.pk]
    assert report.category == "spam" and report.action_taken is False
    stored = Report.objects.get()
    assert (stored.reporter, stored.reason, stored.comment) == (me, "spam", "buy now")
