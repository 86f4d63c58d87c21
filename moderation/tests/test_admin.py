"""The staff side through Django's test client: the report queue, its actions, suspension on the
user admin, audit-logged post deletion and the read-only audit log."""

import pytest
from django.contrib.auth.models import Permission

from moderation.models import AuditLogEntry, Report
from moderation.services import report_create
from posts.models import Post
from posts.tests.factories import PostFactory
from users.models import Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/report/"
AUDIT = "/admin/moderation/auditlogentry/"
ADMIN_POSTS = "/admin/posts/post/"


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def report(*, user=None, posts=(), reason="spam", comment="") -> Report:
    return report_create(
        reporter=UserFactory(),
        reason=reason,
        user_id=None if posts else user.pk,
        post_ids=[p.pk for p in posts],
        comment=comment,
    )


def act(client, action: str, reports, **extra):
    return client.post(QUEUE, {"action": action, "_selected_action": [r.pk for r in reports], **extra}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_queue_lists_open_reports_first_then_newest(client, staff):
    old, resolved, new = (report(user=UserFactory()) for _ in range(3))
    Report.objects.filter(pk=resolved.pk).update(status=Report.Status.RESOLVED)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [new.pk, old.pk, resolved.pk]
    page = response.content.decode()
    for column in ("reporter", "reported user", "reason", "status", "created"):
        assert column in page.lower()


def test_the_queue_takes_as_many_queries_for_20_reports_as_for_1(client, staff, django_assert_max_num_queries):
    report(posts=[PostFactory()])
    with django_assert_max_num_queries(20) as one:
        client.get(QUEUE)
    for _ in range(19):
        report(posts=[PostFactory()])
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(QUEUE)
    assert len(response.context["cl"].result_list) == 20


def test_the_report_page_shows_the_comment_and_the_users_posts(client, staff, django_assert_max_num_queries):
    author = UserFactory()
    reported = PostFactory(author=author, content="the reported one")
    PostFactory(author=author, content="another of theirs")
    r = report(posts=[reported], comment="please look at this")
    response = client.get(f"{QUEUE}{r.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "please look at this" in page and "the reported one" in page and "another of theirs" in page
    assert "Save" not in page  # read-only: staff act through the queue's actions
    with django_assert_max_num_queries(30) as few:
        client.get(f"{QUEUE}{r.pk}/change/")
    for i in range(15):
        PostFactory(author=author, content=f"more {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"{QUEUE}{r.pk}/change/")


def test_resolve_with_note_asks_for_the_note_then_resolves_and_logs(client, staff, client_for):
    r = report(user=UserFactory())
    form = act(client, "resolve_with_note", [r])
    assert form.status_code == 200
    assert 'name="note"' in form.content.decode()
    assert Report.objects.get(pk=r.pk).status == "open"
    done = act(client, "resolve_with_note", [r], apply="1", note="warned by email")
    assert "1 report(s) resolved." in messages_of(done)
    r.refresh_from_db()
    assert (r.status, r.resolved_by, r.resolution_note) == ("resolved", staff, "warned by email")
    assert r.resolved_at is not None
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.target_user, entry.report, entry.note) == (
        "report_resolved",
        staff,
        r.user,
        r,
        "warned by email",
    )
    mine = client_for(r.reporter).get("/api/reports/").json()["results"][0]
    assert mine["status"] == "resolved" and mine["resolved_at"] is not None
    # Resolving again changes nothing and logs nothing.
    act(client, "resolve_with_note", [r], apply="1", note="again")
    assert AuditLogEntry.objects.count() == 1


def test_suspend_and_unsuspend_reported_users(client, staff, django_capture_on_commit_callbacks):
    bad = UserFactory()
    first, second = report(user=bad), report(user=bad)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "suspend_reported_users", [first, second])
    assert "1 user(s) suspended." in messages_of(response)
    bad.refresh_from_db()
    assert not bad.is_active
    response = act(client, "unsuspend_reported_users", [first])
    assert "1 user(s) unsuspended." in messages_of(response)
    bad.refresh_from_db()
    assert bad.is_active
    # The queue's order: the newer report suspended them; the second suspension was no change.
    assert [(e.action, e.target_user_id, e.report_id) for e in AuditLogEntry.objects.order_by("id")] == [
        ("user_suspended", bad.pk, second.pk),
        ("user_unsuspended", bad.pk, first.pk),
    ]


def test_delete_reported_posts_goes_through_the_service(client, staff, django_capture_on_commit_callbacks):
    author = UserFactory()
    parent = PostFactory()
    posts = [PostFactory(author=author, content="#junk spam"), PostFactory(author=author, reply_to=parent)]
    kept = PostFactory(author=author)
    r = report(posts=posts)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "delete_reported_posts", [r])
    assert "2 post(s) deleted." in messages_of(response)
    assert list(Post.objects.filter(author=author)) == [kept]
    assert Profile.objects.get(pk=author.pk).posts_count == 1
    parent.refresh_from_db()
    assert parent.replies_count == 0
    entries = AuditLogEntry.objects.order_by("target_post_id")
    assert [(e.action, e.target_post_id, e.target_user_id, e.report_id, e.actor_id) for e in entries] == [
        ("post_deleted", p.pk, author.pk, r.pk, staff.pk) for p in posts
    ]
    assert entries[0].target_description == f"post {posts[0].pk} by @{author.username}: #junk spam"
    Report.objects.get(pk=r.pk)  # the report stays


def test_the_user_admin_suspends_and_unsuspends_with_audit_entries(client, staff):
    user = UserFactory()
    response = client.post(
        "/admin/users/user/", {"action": "deactivate_users", "_selected_action": [user.pk, staff.pk]}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    staff.refresh_from_db()
    assert not user.is_active and staff.is_active  # never oneself
    client.post("/admin/users/user/", {"action": "activate_users", "_selected_action": [user.pk]})
    user.refresh_from_db()
    assert user.is_active
    assert [(e.action, e.target_user_id, e.actor_id) for e in AuditLogEntry.objects.order_by("id")] == [
        ("user_suspended", user.pk, staff.pk),
        ("user_unsuspended", user.pk, staff.pk),
    ]


def test_the_audit_log_is_readable_and_never_editable(client, staff):
    act(client, "suspend_reported_users", [report(user=UserFactory())])
    entry = AuditLogEntry.objects.get()
    listing = client.get(AUDIT)
    assert listing.status_code == 200 and "Suspended a user" in listing.content.decode()
    assert "delete_selected" not in listing.content.decode()
    page = client.get(f"{AUDIT}{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="note"' not in page.content.decode() and "Save" not in page.content.decode()
    assert client.post(f"{AUDIT}{entry.pk}/change/", {"note": "rewritten"}).status_code == 403
    assert client.post(f"{AUDIT}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{AUDIT}add/").status_code == 403
    entry.refresh_from_db()
    assert entry.note == f"report {entry.report_id}"
    entry.note = "rewritten"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_non_staff_are_refused(client):
    user = UserFactory()
    client.force_login(user)
    for path in (QUEUE, AUDIT, "/admin/posts/post/"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_moderation_permissions_cannot_act(client):
    plain = UserFactory(is_staff=True)
    plain.user_permissions.add(Permission.objects.get(codename="view_report"))
    client.force_login(plain)
    r = report(user=UserFactory())
    assert client.get(QUEUE).status_code == 200
    response = client.post(QUEUE, {"action": "suspend_reported_users", "_selected_action": [r.pk]})
    r.user.refresh_from_db()
    assert r.user.is_active and not AuditLogEntry.objects.exists()
    assert response.status_code in (200, 302)


# --- the post admin's deletions are logged, its post page lists the reports ---------------------


def test_staff_delete_a_post_through_the_service(client, staff, django_capture_on_commit_callbacks):
    author = UserFactory()
    post = PostFactory(author=author, content="to remove #gone")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{ADMIN_POSTS}{post.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()
    assert Profile.objects.get(pk=author.pk).posts_count == 0
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.target_post_id, entry.target_user, entry.actor) == (
        "post_deleted",
        post.pk,
        author,
        staff,
    )


def test_staff_delete_selected_posts_through_the_service(client, staff, django_capture_on_commit_callbacks):
    author = UserFactory()
    posts = [PostFactory(author=author) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            ADMIN_POSTS, {"action": "delete_selected", "_selected_action": [p.pk for p in posts[:2]], "post": "yes"}
        )
    assert list(Post.objects.filter(author=author)) == [posts[2]]
    assert Profile.objects.get(pk=author.pk).posts_count == 1
    assert sorted(AuditLogEntry.objects.values_list("target_post_id", flat=True)) == [p.pk for p in posts[:2]]


def test_the_post_page_lists_its_reports(client, staff):
    post = PostFactory()
    report_create(reporter=UserFactory(), reason="abuse", post_ids=[post.pk], comment="rude words")
    page = client.get(f"{ADMIN_POSTS}{post.pk}/change/").content.decode()
    assert "rude words" in page and "Abuse" in page
    assert "rude" not in client.get(f"{ADMIN_POSTS}{PostFactory().pk}/change/").content.decode()


def test_unticking_active_on_the_users_page_is_a_logged_suspension(client, staff):
    user = UserFactory()
    url = f"/admin/users/user/{user.pk}/change/"
    assert client.get(url).status_code == 200
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "date_joined_0": f"{user.date_joined:%Y-%m-%d}",
        "date_joined_1": f"{user.date_joined:%H:%M:%S}",
        # The profile inline, unchanged.
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-user": str(user.pk),
        "profile-0-allow_messages_from": "everyone",
        "profile-0-email_notifications": "on",
    }
    response = client.post(url, data)  # is_active not ticked
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert not user.is_active
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.target_user, entry.actor) == ("user_suspended", user, staff)
    data["is_active"] = "on"
    assert client.post(url, data).status_code == 302
    assert [e.action for e in AuditLogEntry.objects.order_by("id")] == ["user_suspended", "user_unsuspended"]
    data["first_name"] = "Renamed"
    assert client.post(url, data).status_code == 302
    assert AuditLogEntry.objects.count() == 2  # other edits are not moderation


def test_a_reported_user_can_still_be_deleted_for_good(client, staff):
    r = report(user=UserFactory())
    act(client, "resolve_with_note", [r], apply="1", note="closed")
    assert "delete_selected" not in client.get(QUEUE).content.decode()
    response = client.post(f"/admin/users/user/{r.user_id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Report.objects.filter(pk=r.pk).exists()
    entry = AuditLogEntry.objects.get()  # the log keeps the entry, without the row it named
    assert (entry.target_user, entry.report, entry.action) == (None, None, "report_resolved")
