"""The notification endpoints: list, filters, unread count, marking read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.tests.factories import NotificationFactory
from posts.tests.factories import PostFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/notifications/"
FIELDS = {"id", "type", "actor", "post", "post_excerpt", "conversation", "created_at", "is_read"}


def test_list_shows_my_notifications_newest_first_with_everything_to_render_them(auth_client, user):
    actor = UserFactory(username="liker", display_name="The Liker")
    post = PostFactory(author=user, content="x" * 150)
    older = NotificationFactory(recipient=user, actor=actor, post=post, created_at=timezone.now() - timedelta(hours=1))
    newer = NotificationFactory(
        recipient=user, actor=actor, type=Notification.Type.FOLLOW, post=None, dedupe_key=f"follow:{actor.pk}"
    )
    NotificationFactory()  # someone else's
    response = auth_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [n["id"] for n in body["results"]] == [newer.id, older.id]
    follow, like = body["results"]
    assert set(like) == FIELDS
    assert like == {
        "id": older.id,
        "type": "like",
        "actor": {"id": actor.id, "username": "liker", "display_name": "The Liker", "avatar": None},
        "post": post.id,
        "post_excerpt": "x" * 100 + "…",
        "conversation": None,
        "created_at": like["created_at"],
        "is_read": False,
    }
    assert follow["type"] == "follow" and follow["post"] is None and follow["post_excerpt"] is None


def test_short_post_excerpt_is_the_whole_content(auth_client, user):
    NotificationFactory(recipient=user, post=PostFactory(author=user, content="short and sweet"))
    assert auth_client.get(URL).json()["results"][0]["post_excerpt"] == "short and sweet"


def test_list_pages_with_a_cursor(auth_client, user):
    NotificationFactory.create_batch(3, recipient=user)
    first = auth_client.get(URL, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = auth_client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_unread_filter(auth_client, user):
    unread = NotificationFactory(recipient=user)
    read = NotificationFactory(recipient=user, is_read=True)
    assert [n["id"] for n in auth_client.get(URL, {"unread": "true"}).json()["results"]] == [unread.id]
    assert [n["id"] for n in auth_client.get(URL, {"unread": "false"}).json()["results"]] == [read.id]
    assert len(auth_client.get(URL).json()["results"]) == 2


def test_type_filter(auth_client, user):
    like = NotificationFactory(recipient=user)
    NotificationFactory(recipient=user, type=Notification.Type.RETWEET)
    response = auth_client.get(URL, {"type": "like"})
    assert response.status_code == 200
    assert [n["id"] for n in response.json()["results"]] == [like.id]
    assert auth_client.get(URL, {"type": "message"}).json()["results"] == []


@pytest.mark.parametrize(("param", "value"), [("type", "poke"), ("unread", "maybe"), ("unread", "yes")])
def test_bad_filter_values_are_400(auth_client, param, value):
    response = auth_client.get(URL, {param: value})
    assert response.status_code == 400
    assert list(response.json()) == [param]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("get", URL + "unread_count/"),
        ("post", URL + "1/mark_as_read/"),
        ("post", URL + "mark_all_as_read/"),
    ],
)
def test_every_endpoint_needs_authentication(api_client, method, path):
    response = getattr(api_client, method)(path)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_unread_count_counts_only_my_unread(auth_client, user):
    NotificationFactory.create_batch(2, recipient=user)
    NotificationFactory(recipient=user, is_read=True)
    NotificationFactory()
    response = auth_client.get(URL + "unread_count/")
    assert response.status_code == 200
    assert response.json() == {"unread_count": 2}


def test_mark_as_read_returns_the_notification(auth_client, user, django_assert_num_queries):
    notification = NotificationFactory(recipient=user)
    with django_assert_num_queries(2):  # the notification with what renders it, the update
        response = auth_client.post(f"{URL}{notification.id}/mark_as_read/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"] == notification.id and body["is_read"] is True
    notification.refresh_from_db()
    assert notification.is_read
    with django_assert_num_queries(1):  # read already: nothing to update
        again = auth_client.post(f"{URL}{notification.id}/mark_as_read/")
    assert again.status_code == 200 and again.json()["is_read"] is True


def test_mark_as_read_of_someone_elses_notification_is_404(auth_client):
    theirs = NotificationFactory()
    response = auth_client.post(f"{URL}{theirs.id}/mark_as_read/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    theirs.refresh_from_db()
    assert theirs.is_read is False
    assert auth_client.post(f"{URL}999999/mark_as_read/").status_code == 404


def test_mark_all_as_read_marks_only_mine(auth_client, user):
    NotificationFactory.create_batch(3, recipient=user)
    NotificationFactory(recipient=user, is_read=True)
    theirs = NotificationFactory()
    response = auth_client.post(URL + "mark_all_as_read/")
    assert response.status_code == 200
    assert response.json() == {"marked": 3}
    assert not Notification.objects.filter(recipient=user, is_read=False).exists()
    theirs.refresh_from_db()
    assert theirs.is_read is False
    assert auth_client.post(URL + "mark_all_as_read/").json() == {"marked": 0}
    assert auth_client.get(URL + "unread_count/").json() == {"unread_count": 0}


def test_list_runs_a_fixed_number_of_queries(auth_client, user, django_assert_max_num_queries):
    NotificationFactory(recipient=user)
    with django_assert_max_num_queries(1) as first:
        assert len(auth_client.get(URL).json()["results"]) == 1
    for i in range(19):
        NotificationFactory(recipient=user, type=Notification.Type.FOLLOW if i % 2 else Notification.Type.LIKE)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert len(auth_client.get(URL).json()["results"]) == 20


def test_admin_lists_notifications_with_filters(client, user):
    staff = UserFactory(is_staff=True, is_superuser=True)
    NotificationFactory(recipient=user)
    NotificationFactory(recipient=user, type=Notification.Type.FOLLOW, post=None, is_read=True)
    client.force_login(staff)
    assert client.get("/admin/notifications/notification/").status_code == 200
    filtered = client.get("/admin/notifications/notification/", {"type__exact": "follow", "is_read__exact": "1"})
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == 1
    searched = client.get("/admin/notifications/notification/", {"q": user.username})
    assert searched.context["cl"].result_count == 2


def test_swagger_documents_the_notification_endpoints_with_their_schemas(api_client):
    schema = api_client.get("/swagger.json").json()
    base = schema["basePath"].rstrip("/")
    paths = {base + path: ops for path, ops in schema["paths"].items()}

    def ref(operation, status="200"):
        return operation["responses"][status]["schema"]["$ref"].split("/")[-1]

    listing = paths["/api/notifications/"]["get"]
    assert listing["tags"] == ["notifications"]
    assert {"unread", "type", "cursor", "page_size"} <= {p["name"] for p in listing["parameters"]}
    item = listing["responses"]["200"]["schema"]["properties"]["results"]["items"]["$ref"].split("/")[-1]
    assert set(schema["definitions"][item]["properties"]) == FIELDS
    assert schema["definitions"][item]["properties"]["type"]["enum"] == [t.value for t in Notification.Type]
    unread = ref(paths["/api/notifications/unread_count/"]["get"])
    assert set(schema["definitions"][unread]["properties"]) == {"unread_count"}
    assert ref(paths["/api/notifications/{id}/mark_as_read/"]["post"]) == item
    marked = ref(paths["/api/notifications/mark_all_as_read/"]["post"])
    assert set(schema["definitions"][marked]["properties"]) == {"marked"}
    for ops in (paths[p] for p in paths if p.startswith("/api/notifications/")):
        for method, operation in ops.items():
            if method != "parameters":
                assert "security" not in operation  # the global Bearer requirement applies


def test_notifications_from_a_suspended_account_are_neither_listed_nor_counted_until_it_returns(auth_client, user):
    actor = UserFactory()
    NotificationFactory(recipient=user, actor=actor)
    actor.is_active = False
    actor.save()
    assert auth_client.get(URL).json()["results"] == []
    assert auth_client.get(f"{URL}unread_count/").json() == {"unread_count": 0}
    actor.is_active = True
    actor.save()
    assert [n["actor"]["id"] for n in auth_client.get(URL).json()["results"]] == [actor.id]
    assert auth_client.get(f"{URL}unread_count/").json() == {"unread_count": 1}


def test_a_notification_naming_a_post_i_may_no_longer_see_is_neither_listed_nor_counted(auth_client, client_for, user):
    """A mention in a post whose author then protects the account: its text is not shown either."""
    author = UserFactory()
    post = PostFactory(author=author, content=f"hello @{user.username}")
    NotificationFactory(recipient=user, actor=author, type=Notification.Type.MENTION, post=post)
    protected = {"is_protected": True}
    client_for(author).patch("/api/users/profiles/update_my_profile/", protected, format="json")
    assert auth_client.get(URL).json()["results"] == []
    assert auth_client.get(f"{URL}unread_count/").json() == {"unread_count": 0}
    client_for(author).patch("/api/users/profiles/update_my_profile/", {"is_protected": False}, format="json")
    assert [n["post"] for n in auth_client.get(URL).json()["results"]] == [post.id]
