"""Notifications through the Mastodon API: the native ones, filtered, paginated, dismissed."""

import pytest

from notifications.models import Notification
from notifications.tests.factories import NotificationFactory
from posts.models import Post
from posts.tests.factories import PostFactory
from tests.support import clear_cache
from users import services
from users.tests.factories import UserFactory

from .entities import assert_account, assert_status, links, query_count

pytestmark = pytest.mark.django_db

# Mastodon.py told the server's version, so that it does not read /api/v1/instance first.
CLIENT_OPTIONS = {"version_check_mode": "created", "mastodon_version": "4.3.0"}

URL = "/api/v1/notifications"
Type = Notification.Type


def follow(recipient, actor=None) -> Notification:
    actor = actor or UserFactory()
    return NotificationFactory(recipient=recipient, actor=actor, type=Type.FOLLOW, post=None)


def of_type(recipient, type_, actor=None) -> Notification:
    if type_ in (Type.FOLLOW, Type.FOLLOW_REQUEST, Type.MESSAGE):
        return NotificationFactory(recipient=recipient, actor=actor or UserFactory(), type=type_, post=None)
    return NotificationFactory(recipient=recipient, actor=actor or UserFactory(), type=type_)


def test_list_maps_the_native_types_and_leaves_messages_out(mastodon_client, user):
    made = {type_: of_type(user, type_) for type_ in Type.values}
    NotificationFactory()  # someone else's
    response = mastodon_client(user, "read:notifications").get(URL)
    assert response.status_code == 200
    body = response.json()
    expected = {
        Type.FOLLOW: "follow",
        Type.FOLLOW_REQUEST: "follow_request",
        Type.LIKE: "favourite",
        Type.RETWEET: "reblog",
        Type.REPLY: "mention",
        Type.MENTION: "mention",
    }
    assert [(n["id"], n["type"]) for n in body] == [
        (str(made[t].pk), expected[t]) for t in sorted(expected, key=lambda t: -made[t].pk)
    ]
    for notification in body:
        assert set(notification) >= {"id", "type", "group_key", "created_at", "account"}
        assert notification["created_at"].endswith("Z")
        assert_account(notification["account"])
        if notification["type"] in ("favourite", "reblog", "mention"):
            assert_status(notification["status"])
            assert notification["status"]["id"].isdigit()
        else:
            assert "status" not in notification


def test_types_exclude_types_and_account_id_filter(mastodon_client, user):
    fan = UserFactory()
    liked = of_type(user, Type.LIKE, actor=fan)
    followed = follow(user, actor=fan)
    mentioned = of_type(user, Type.MENTION)
    replied = of_type(user, Type.REPLY)
    client = mastodon_client(user)

    def listed(query) -> list[int]:
        response = client.get(URL, query)
        assert response.status_code == 200, response.content
        return [int(n["id"]) for n in response.json()]

    assert listed({"types[]": ["mention"]}) == [replied.pk, mentioned.pk]
    assert listed({"types[]": ["favourite", "follow"]}) == [followed.pk, liked.pk]
    assert listed({"exclude_types[]": ["mention", "follow"]}) == [liked.pk]
    assert listed({"types[]": ["poll"]}) == []  # a type we never have
    assert listed({"account_id": str(fan.pk)}) == [followed.pk, liked.pk]
    assert listed({"account_id": str(fan.pk), "exclude_types[]": ["follow"]}) == [liked.pk]
    assert listed({"account_id": "nope"}) == []


def test_link_headers_walk_forward_and_back(mastodon_client, user):
    made = [follow(user) for _ in range(5)]
    newest_first = [str(n.pk) for n in reversed(made)]
    client = mastodon_client(user)
    first = client.get(URL, {"limit": 2, "types[]": "follow"})
    assert [n["id"] for n in first.json()] == newest_first[:2]
    assert "types%5B%5D=follow" in links(first)["next"] and "limit=2" in links(first)["next"]
    second = client.get(links(first)["next"])
    assert [n["id"] for n in second.json()] == newest_first[2:4]
    third = client.get(links(second)["next"])
    assert [n["id"] for n in third.json()] == newest_first[4:]
    assert "next" not in links(third)
    assert [n["id"] for n in client.get(links(third)["prev"]).json()] == newest_first[2:4]
    assert [n["id"] for n in client.get(links(second)["prev"]).json()] == newest_first[:2]
    assert client.get(links(first)["prev"]).json() == []
    since = client.get(URL, {"since_id": newest_first[2]}).json()
    assert [n["id"] for n in since] == newest_first[:2]
    assert client.get(URL, {"max_id": "x"}).status_code == 422


def test_blocked_muted_and_suspended_actors_and_invisible_posts_stay_hidden(mastodon_client, user):
    blocked, muted, suspended = UserFactory(), UserFactory(), UserFactory()
    for actor in (blocked, muted, suspended):
        follow(user, actor=actor)
    shown = follow(user)
    private = PostFactory(author=user)
    liked = NotificationFactory(recipient=user, post=private)
    services.block_create(blocker=user, blocked=blocked)
    services.mute_create(muter=user, muted=muted, notifications=True)
    suspended.is_active = False
    suspended.save()
    Post.objects.filter(pk=private.pk).delete()  # the post and its notification go
    response = mastodon_client(user).get(URL)
    assert [n["id"] for n in response.json()] == [str(shown.pk)]
    assert not Notification.objects.filter(pk=liked.pk).exists()
    for actor in (blocked, muted, suspended):
        hidden = Notification.objects.get(actor=actor)
        assert mastodon_client(user).get(f"{URL}/{hidden.pk}").status_code == 404


def test_one_notification_mine_only(mastodon_client, user, other_user):
    mine = of_type(user, Type.LIKE)
    message = of_type(user, Type.MESSAGE)
    theirs = follow(other_user)
    client = mastodon_client(user, "read:notifications")
    response = client.get(f"{URL}/{mine.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == str(mine.pk) and response.json()["type"] == "favourite"
    assert response.json()["status"]["id"] == str(mine.post_id)
    for missing in (theirs.pk, message.pk, 10**12):
        response = client.get(f"{URL}/{missing}")
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}


def test_dismiss_deletes_one_of_mine(mastodon_client, user, other_user):
    mine, kept, theirs = follow(user), follow(user), follow(other_user)
    client = mastodon_client(user, "write:notifications")
    response = client.post(f"{URL}/{mine.pk}/dismiss")
    assert response.status_code == 200 and response.json() == {}
    assert set(Notification.objects.values_list("pk", flat=True)) == {kept.pk, theirs.pk}
    assert client.post(f"{URL}/{mine.pk}/dismiss").status_code == 404
    assert client.post(f"{URL}/{theirs.pk}/dismiss").status_code == 404


def test_clear_deletes_mine_but_not_my_messages_notifications(mastodon_client, user, other_user):
    follow(user)
    of_type(user, Type.LIKE)
    message = of_type(user, Type.MESSAGE)
    theirs = follow(other_user)
    response = mastodon_client(user, "write:notifications").post(f"{URL}/clear")
    assert response.status_code == 200 and response.json() == {}
    assert set(Notification.objects.values_list("pk", flat=True)) == {message.pk, theirs.pk}


def test_unread_count(mastodon_client, user):
    follow(user)
    of_type(user, Type.LIKE)
    of_type(user, Type.MESSAGE)
    NotificationFactory(recipient=user, is_read=True)
    client = mastodon_client(user, "read:notifications")
    assert client.get(f"{URL}/unread_count").json() == {"count": 2}
    assert client.get(f"{URL}/unread_count/").json() == {"count": 2}  # a trailing slash is the same path
    assert client.get(f"{URL}/unread_count", {"types[]": "follow"}).json() == {"count": 1}
    assert client.get(f"{URL}/unread_count", {"limit": 1}).json() == {"count": 1}


def test_unread_count_starts_after_the_notifications_marker(mastodon_client, user):
    older, newer = follow(user), follow(user)
    client = mastodon_client(user, "read:notifications write:statuses")
    response = client.post("/api/v1/markers", {"notifications[last_read_id]": str(older.pk)})
    assert response.status_code == 200, response.content
    assert client.get(f"{URL}/unread_count").json() == {"count": 1}
    Notification.objects.filter(pk=newer.pk).update(is_read=True)  # read in the native API
    assert client.get(f"{URL}/unread_count").json() == {"count": 0}


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("get", URL, "write"),
        ("get", f"{URL}/1", "read:statuses"),
        ("get", f"{URL}/unread_count", "write:notifications"),
        ("post", f"{URL}/1/dismiss", "read"),
        ("post", f"{URL}/clear", "read:notifications"),
    ],
)
def test_scopes_tokens_and_users_are_required(mastodon_client, user, method, path, scope):
    anonymous = getattr(mastodon_client(), method)(path)
    assert anonymous.status_code == 401 and anonymous.json() == {"error": "The access token is invalid"}
    wrong_scope = getattr(mastodon_client(user, scope), method)(path)
    assert wrong_scope.status_code == 403 and "error" in wrong_scope.json()
    app_only = getattr(mastodon_client(None, "read write", app_token=True), method)(path)
    assert app_only.status_code == 422


def test_query_count_does_not_grow_with_the_page(mastodon_client, user):
    client = mastodon_client(user)

    def add(count: int) -> None:
        for _ in range(count):
            of_type(user, Type.LIKE)
            of_type(user, Type.REPLY)
            follow(user)

    add(1)
    clear_cache()  # cold caches both times (accounts are cached)
    one = query_count(lambda: client.get(URL))
    add(19)
    assert len(client.get(URL, {"limit": 80}).json()) == 60
    clear_cache()
    assert query_count(lambda: client.get(URL, {"limit": 80})) == one


@pytest.mark.django_db(transaction=True)
def test_mastodon_py_reads_pages_and_dismisses_notifications(live_server, mastodon_token):
    from mastodon import Mastodon

    me = UserFactory()
    follows = [follow(me) for _ in range(3)]
    liked = of_type(me, Type.LIKE)
    client = Mastodon(access_token=mastodon_token(me), api_base_url=live_server.url, **CLIENT_OPTIONS)
    page = client.notifications(limit=2)
    assert [int(n.id) for n in page] == [liked.pk, follows[2].pk]
    assert page[0].type == "favourite" and int(page[0].status.id) == liked.post_id
    older = client.fetch_next(page)
    assert [int(n.id) for n in older] == [follows[1].pk, follows[0].pk]
    assert [int(n.id) for n in client.fetch_previous(older)] == [liked.pk, follows[2].pk]
    assert [int(n.id) for n in client.notifications(types=["follow"], account_id=follows[0].actor_id)] == [
        follows[0].pk
    ]
    assert int(client.notifications(id=liked.pk).account.id) == liked.actor_id
    assert client.notifications_unread_count().count == 4
    client.notifications_dismiss(liked.pk)
    assert [int(n.id) for n in client.notifications()] == [f.pk for f in reversed(follows)]
    client.notifications_clear()
    assert client.notifications() == []


def test_the_filtering_policy_accepts_everything_and_holds_no_requests(mastodon_client, user):
    client = mastodon_client(user, "read:notifications write:notifications")
    policy = client.get("/api/v2/notifications/policy").json()
    assert policy == {
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "accept",
        "for_limited_accounts": "accept",
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    assert client.patch("/api/v2/notifications/policy", {"for_new_accounts": "accept"}).json() == policy
    response = client.patch("/api/v2/notifications/policy", {"for_new_accounts": "drop"})
    assert response.status_code == 422 and response.json()["error"].startswith("Validation failed: ")
    follow(user)
    assert client.get(f"{URL}/requests").json() == []
    assert mastodon_client().get("/api/v2/notifications/policy").status_code == 401
    assert mastodon_client(user, "read").patch("/api/v2/notifications/policy", {}).status_code == 403
