"""The reports API: filing a report (each refusal) and listing mine."""

import pytest
from django.test.utils import override_settings

from moderation.models import Report
from moderation.services import report_resolve
from posts.tests.factories import PostFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REPORTS = "/api/reports/"


def short(user) -> dict:
    return {"id": user.pk, "username": user.username, "display_name": "", "avatar": None}


def test_report_a_user(auth_client, other_user):
    response = auth_client.post(
        REPORTS, {"user_id": other_user.pk, "reason": "abuse", "comment": "  threats  "}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    report = Report.objects.get()
    assert body == {
        "id": report.pk,
        "user": short(other_user),
        "posts": [],
        "reason": "abuse",
        "comment": "threats",
        "status": "open",
        "created_at": body["created_at"],
        "resolved_at": None,
    }
    assert (report.reporter, report.user, report.status) == (auth_client.user, other_user, "open")


def test_report_posts_implies_their_author(auth_client, other_user):
    posts = [PostFactory(author=other_user) for _ in range(3)]
    response = auth_client.post(REPORTS, {"post_ids": [p.pk for p in posts], "reason": "spam"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["user"] == short(other_user)
    assert body["posts"] == sorted(p.pk for p in posts)
    assert body["comment"] == ""
    assert set(Report.objects.get().posts.values_list("pk", flat=True)) == {p.pk for p in posts}


def test_report_posts_with_the_matching_user_id(auth_client, other_user):
    post = PostFactory(author=other_user)
    response = auth_client.post(
        REPORTS, {"user_id": other_user.pk, "post_ids": [post.pk], "reason": "illegal"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["posts"] == [post.pk]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reason": "spam"}, "non_field_errors"),  # nothing named
        ({"post_ids": [], "reason": "spam"}, "non_field_errors"),
        ({"user_id": "SELF", "reason": "spam"}, "user_id"),
        ({"user_id": 10**9, "reason": "spam"}, "user_id"),  # unknown user
        ({"user_id": 2**63, "reason": "spam"}, "user_id"),  # past the id range
        ({"user_id": "OTHER", "reason": "bogus"}, "reason"),
        ({"user_id": "OTHER"}, "reason"),
        ({"user_id": "OTHER", "reason": "spam", "comment": "x" * 1001}, "comment"),
        ({"post_ids": [10**9], "reason": "spam"}, "post_ids"),  # unknown post
        ({"post_ids": "nope", "reason": "spam"}, "post_ids"),
        ({"post_ids": list(range(1, 22)), "reason": "spam"}, "post_ids"),  # more than 20
    ],
)
def test_bad_reports_are_400(auth_client, other_user, body, field):
    names = {"SELF": auth_client.user.pk, "OTHER": other_user.pk}
    body = {k: names.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = auth_client.post(REPORTS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Report.objects.exists()


def test_reporting_your_own_posts_is_400(auth_client):
    post = PostFactory(author=auth_client.user)
    response = auth_client.post(REPORTS, {"post_ids": [post.pk], "reason": "spam"}, format="json")
    assert response.status_code == 400
    assert "user_id" in response.json()


def test_posts_by_two_authors_are_400(auth_client, other_user):
    posts = [PostFactory(author=other_user), PostFactory()]
    response = auth_client.post(REPORTS, {"post_ids": [p.pk for p in posts], "reason": "spam"}, format="json")
    assert response.status_code == 400
    assert "post_ids" in response.json()


def test_posts_not_by_user_id_are_400(auth_client, other_user):
    post = PostFactory()
    response = auth_client.post(
        REPORTS, {"user_id": other_user.pk, "post_ids": [post.pk], "reason": "spam"}, format="json"
    )
    assert response.status_code == 400
    assert "user_id" in response.json()


def test_posts_you_cannot_see_are_400_as_missing_ones(auth_client, other_user):
    post = PostFactory(author=other_user)
    other_user.is_active = False  # a suspended author's posts are seen by no one
    other_user.save(update_fields=["is_active"])
    response = auth_client.post(REPORTS, {"post_ids": [post.pk], "reason": "spam"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"post_ids": [f"No such post: {post.pk}."]}
    response = auth_client.post(REPORTS, {"user_id": other_user.pk, "reason": "spam"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"user_id": ["No such user."]}


def test_reports_need_a_token(api_client, other_user):
    assert api_client.get(REPORTS).status_code == 401
    assert api_client.post(REPORTS, {"user_id": other_user.pk, "reason": "spam"}, format="json").status_code == 401


def test_my_reports_newest_first_only_mine_and_resolved_shows(auth_client, other_user, client_for):
    first = auth_client.post(REPORTS, {"user_id": other_user.pk, "reason": "spam"}, format="json").json()
    second = auth_client.post(REPORTS, {"user_id": other_user.pk, "reason": "abuse"}, format="json").json()
    client_for(other_user).post(REPORTS, {"user_id": auth_client.user.pk, "reason": "spam"}, format="json")
    staff = UserFactory(is_staff=True)
    report_resolve(report=Report.objects.get(pk=first["id"]), by=staff, note="warned them")
    response = auth_client.get(REPORTS)
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["results"]] == [second["id"], first["id"]]
    assert body["next"] is None and body["previous"] is None
    resolved = body["results"][1]
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert "resolution_note" not in resolved  # the staff note is not the reporter's
    assert body["results"][0]["status"] == "open"


def test_my_reports_are_cursor_paginated_with_flat_queries(auth_client, django_assert_max_num_queries):
    authors = [UserFactory() for _ in range(25)]
    for author in authors:
        post = PostFactory(author=author)
        auth_client.post(REPORTS, {"post_ids": [post.pk], "reason": "spam"}, format="json")
    response = auth_client.get(REPORTS, {"page_size": 20})
    first = response.json()
    assert len(first["results"]) == 20 and first["next"]
    second = auth_client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert [r["user"]["id"] for r in first["results"] + second["results"]] == [a.pk for a in reversed(authors)]
    with django_assert_max_num_queries(3) as one_page:
        auth_client.get(REPORTS, {"page_size": 1})
    with django_assert_max_num_queries(len(one_page.captured_queries)):
        auth_client.get(REPORTS, {"page_size": 20})


def test_a_malformed_cursor_is_400(auth_client):
    assert auth_client.get(REPORTS, {"cursor": "garbage"}).status_code == 400


@override_settings(THROTTLE_RATE_USER="40/min", THROTTLE_SENSITIVE_DIVISOR=10)
def test_filing_reports_is_throttled(auth_client, other_user):
    statuses = [
        auth_client.post(REPORTS, {"user_id": other_user.pk, "reason": "spam"}, format="json").status_code
        for _ in range(5)
    ]
    assert statuses == [201] * 4 + [429]
    assert auth_client.get(REPORTS).status_code == 200  # reading is not throttled as filing is


def test_reports_are_in_the_schema(api_client):
    schema = api_client.get("/swagger.json").json()
    operations = schema["paths"]["/reports/"]
    assert set(operations) >= {"get", "post"}
    assert "201" in operations["post"]["responses"] and "400" in operations["post"]["responses"]
