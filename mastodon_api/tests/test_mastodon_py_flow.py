"""End to end: Mastodon.py, as an app would use it, against the running production server (uvicorn
as docker-compose.yml starts it, on PostgreSQL and Redis): an app registered, users logged in with
the password grant and through the consent page with PKCE, then posting with media, reading
timelines page by page, acting on statuses and accounts, notifications, search, trends, reports and
a user stream. Run these alone with ``pytest -m web_server``."""

import base64
import hashlib
import io
import queue
import secrets
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from mastodon import Mastodon, MastodonNotFoundError, StreamListener

from media.tests.images import image_bytes
from moderation.models import Report
from posts.models import Post
from tests.support import wait_for
from tests.support.mastodon import browser_authorize, mastodon_app, mastodon_user
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live, pytest.mark.web_server]

PASSWORD = "end to end password"
CALLBACK = "https://app.example/callback"


def log_in_with_pkce(base: str, *, identifier: str, password: str) -> Mastodon:
    """The authorization code flow as a mobile app runs it: its browser signs in and consents, the
    code comes back to its redirect URI and is exchanged with the PKCE verifier."""
    app = mastodon_app(base, redirect_uris=[CALLBACK])
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "client_id": app.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "read write follow push",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    answer = browser_authorize(f"{base}/oauth/authorize?{urlencode(query)}", identifier=identifier, password=password)
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return Mastodon(access_token=token.json()["access_token"], api_base_url=base, version_check_mode="created")


def user_and_client(base: str, username: str, **fields):
    user = UserFactory(username=username, email=f"{username}@example.com", password=PASSWORD, **fields)
    return user, mastodon_user(base, email=user.email, password=PASSWORD)


def ids(statuses) -> list[int]:
    return [int(status.id) for status in statuses]


def assert_entity_ids(entity, base: str) -> None:
    """A status (or account) as Mastodon gives it: ids are strings of digits, URLs absolute."""
    assert isinstance(entity.id, str) and entity.id.isdigit()
    assert entity.url.startswith(f"{base}/")
    if "account" in entity:
        assert isinstance(entity.account.id, str) and entity.account.id.isdigit()
        assert entity.account.avatar.startswith("http")
        assert entity.account.url.startswith(f"{base}/@")


def test_mastodon_py_posts_reads_and_acts(mastodon_server):
    base = mastodon_server
    alice_user, alice = user_and_client(base, "alice")
    bob_user = UserFactory(username="bob", email="bob@example.com", password=PASSWORD)
    bob = log_in_with_pkce(base, identifier="bob@example.com", password=PASSWORD)

    me = bob.account_verify_credentials()
    assert (me.id, me.username, me.acct) == (str(bob_user.pk), "bob", "bob")
    assert me.source.privacy == "public" and me.url == f"{base}/@bob"
    assert alice.account_verify_credentials().username == "alice"

    relationship = bob.account_follow(alice_user.pk)
    assert relationship.following is True and relationship.id == str(alice_user.pk)

    # A post with a picture and its alt text, behind a content warning.
    media = alice.media_post(
        io.BytesIO(image_bytes()), mime_type="image/png", file_name="red.png", description="a red square"
    )
    assert isinstance(media.id, str) and media.type == "image"
    assert media.url.startswith(f"{base}/") and media.preview_url.startswith(f"{base}/")
    assert media.description == "a red square"
    pictured = alice.status_post(
        "look #e2etag", media_ids=[media], spoiler_text="red things", sensitive=True, visibility="public"
    )
    assert_entity_ids(pictured, base)
    assert pictured.spoiler_text == "red things" and pictured.sensitive is True
    attachment = pictured.media_attachments[0]
    assert (attachment.id, attachment.description) == (media.id, "a red square")
    assert attachment.url.startswith(f"{base}/")
    assert [tag.name for tag in pictured.tags] == ["e2etag"]
    assert pictured.tags[0].url == f"{base}/tags/e2etag"
    assert Post.objects.get(pk=pictured.id).spoiler_text == "red things"

    more = [alice.status_post(f"number {n} #e2etag") for n in range(3)]
    reply = bob.status_post("@alice nice picture", in_reply_to_id=pictured.id)
    assert reply.in_reply_to_id == pictured.id and reply.in_reply_to_account_id == str(alice_user.pk)
    assert reply.mentions[0].acct == "alice" and reply.mentions[0].url == f"{base}/@alice"
    assert '<a href="' in reply.content

    # The home timeline, page by page with the Link header, as it is newest first.
    newest_first = ids([reply, *reversed(more), pictured])
    first = bob.timeline_home(limit=2)
    assert ids(first) == newest_first[:2]
    second = bob.fetch_next(first)
    assert ids(second) == newest_first[2:4]
    third = bob.fetch_next(second)
    assert ids(third) == newest_first[4:]
    assert ids(bob.fetch_previous(second)) == newest_first[:2]
    assert bob.fetch_next(third) in (None, [])
    assert ids(bob.timeline_home(since_id=more[1].id)) == newest_first[:2]
    assert all(isinstance(status.id, str) for status in first)
    assert first[0].account.username == "bob" and first[0].in_reply_to_id == pictured.id
    # The public and tag timelines, the same way.
    public = bob.timeline_public(limit=3)
    assert ids(public) == newest_first[:3]
    assert ids(bob.fetch_next(public)) == newest_first[3:]
    tagged = bob.timeline_hashtag("e2etag", limit=3)
    assert ids(tagged) == ids([*reversed(more), pictured])[:3]
    assert ids(bob.fetch_next(tagged)) == [int(pictured.id)]
    assert ids(bob.timeline_public(only_media=True)) == [int(pictured.id)]

    # Favourites, reblogs, bookmarks.
    favourited = bob.status_favourite(more[0].id)
    assert favourited.favourited is True and favourited.favourites_count == 1
    assert ids(bob.favourites()) == [int(more[0].id)]
    assert bob.status_unfavourite(more[0].id).favourited is False
    favourited = bob.status_favourite(pictured.id)
    reblog = bob.status_reblog(more[1].id)
    assert reblog.reblog.id == more[1].id and reblog.reblogged is True and reblog.id != more[1].id
    assert reblog.account.username == "bob" and reblog.reblog.reblogs_count == 1
    assert bob.status_unreblog(more[1].id).reblogged is False
    reblog = bob.status_reblog(more[2].id)
    # A reblog heads bob's home timeline under its own id; the pages go on past it.
    top = bob.timeline_home(limit=1)
    assert (top[0].id, top[0].reblog.id, top[0].reblog.account.username) == (reblog.id, more[2].id, "alice")
    assert ids(bob.fetch_next(top)) == [int(reply.id)]
    assert ids(bob.fetch_previous(bob.fetch_next(top))) == [int(reblog.id)]
    assert bob.status_bookmark(more[2].id).bookmarked is True
    assert bob.status_bookmark(more[0].id).bookmarked is True
    bookmarks = bob.bookmarks(limit=1)
    assert ids(bookmarks) == [int(more[0].id)]
    assert ids(bob.fetch_next(bookmarks)) == [int(more[2].id)]
    assert bob.status(more[2].id).bookmarked is True
    assert ids(bob.account_statuses(alice_user.pk, only_media=True)) == [int(pictured.id)]
    assert int(reply.id) not in ids(bob.account_statuses(bob_user.pk, exclude_replies=True))
    context = bob.status_context(pictured.id)
    assert (ids(context.ancestors), ids(context.descendants)) == ([], [int(reply.id)])

    # Pins and edits (with their history) of one's own statuses.
    assert alice.status_pin(pictured.id).pinned is True
    assert ids(bob.account_statuses(alice_user.pk, pinned=True)) == [int(pictured.id)]
    edited = alice.status_update(pictured.id, "look again #e2etag", spoiler_text="red things", sensitive=True)
    assert edited.edited_at is not None and "look again" in edited.content
    history = alice.status_history(pictured.id)
    assert ["look" in version.content for version in history] == [True, True]
    assert "again" not in history[0].content and "again" in history[-1].content
    assert all(version.account.username == "alice" for version in history)
    assert alice.status_source(pictured.id).text == "look again #e2etag"

    # What alice was told: a follow, a mention, a favourite and reblogs.
    notifications = alice.notifications()
    assert {n.type for n in notifications} == {"follow", "mention", "favourite", "reblog"}
    assert all(isinstance(n.id, str) and n.account.username == "bob" for n in notifications)
    mention = next(n for n in notifications if n.type == "mention")
    assert mention.status.id == reply.id
    favourites = alice.notifications(types=["favourite"])
    assert {n.type for n in favourites} == {"favourite"}
    assert favourites[0].status.id == pictured.id
    assert {n.type for n in alice.notifications(exclude_types=["favourite", "reblog"])} == {"follow", "mention"}
    paged = alice.notifications(limit=1)
    assert len(paged) == 1 and len(alice.fetch_next(paged)) == 1
    assert {n.account.username for n in alice.notifications(account_id=bob_user.pk)} == {"bob"}
    alice.notifications_dismiss(mention.id)
    assert "mention" not in {n.type for n in alice.notifications()}
    with pytest.raises(MastodonNotFoundError):
        alice.notifications(id=mention.id)
    alice.notifications_clear()
    assert alice.notifications() == []

    # Search, trends, reports.
    found = bob.search_v2("alice", result_type="accounts")
    assert [account.username for account in found.accounts] == ["alice"]
    found = bob.search_v2("e2etag")
    assert "e2etag" in [tag.name for tag in found.hashtags]
    assert found.hashtags[0].url == f"{base}/tags/e2etag"
    found = bob.search_v2("picture", result_type="statuses")
    assert ids(found.statuses) == [int(reply.id)]
    trending = bob.trending_tags()
    assert "e2etag" in [tag.name for tag in trending]
    history = next(tag for tag in trending if tag.name == "e2etag").history
    assert history[0].uses == "4" and history[0].accounts == "1"
    report = bob.report(alice_user.pk, status_ids=[more[0].id], comment="spam", category="spam")
    assert isinstance(report.id, str) and report.target_account.id == str(alice_user.pk)
    assert Report.objects.filter(reporter=bob_user).count() == 1

    # A retried post with the same Idempotency-Key is one status.
    once = bob.status_post("only once", idempotency_key="e2e-retry")
    again = bob.status_post("only once", idempotency_key="e2e-retry")
    assert again.id == once.id
    assert Post.objects.filter(author=bob_user, content="only once").count() == 1

    # Deleting: the status is gone, from the home timelines too.
    assert int(once.id) in ids(bob.timeline_home(limit=1))
    deleted = bob.status_delete(once.id)
    assert deleted.text == "only once"
    with pytest.raises(MastodonNotFoundError):
        bob.status(once.id)
    assert int(once.id) not in ids(bob.timeline_home())
    alice.status_delete(more[2].id)
    assert int(more[2].id) not in [int(s.reblog.id) for s in bob.timeline_home() if s.reblog]


def test_mastodon_py_follow_requests_blocks_and_mutes(mastodon_server):
    base = mastodon_server
    bob_user, bob = user_and_client(base, "bob")
    carol_user, carol = user_and_client(base, "carol")
    dave_user, dave = user_and_client(base, "dave")
    erin_user, erin = user_and_client(base, "erin")

    # A locked account's follow is a request it authorizes.
    assert carol.account_update_credentials(locked=True).locked is True
    requested = bob.account_follow(carol_user.pk)
    assert requested.following is False and requested.requested is True
    assert bob.account(carol_user.pk).locked is True
    pending = carol.follow_requests()
    assert [account.id for account in pending] == [str(bob_user.pk)]
    assert carol.follow_request_authorize(bob_user.pk).followed_by is True
    assert carol.follow_requests() == []
    assert bob.account_relationships([carol_user.pk])[0].following is True
    assert {n.type for n in carol.notifications()} >= {"follow_request"}
    assert bob.account_unfollow(carol_user.pk).following is False

    # Blocking: the blocked account's statuses leave the home timeline and can't be fetched.
    bob.account_follow(dave_user.pk)
    bob.account_follow(erin_user.pk)
    daves = dave.status_post("from dave")
    erins = erin.status_post("from erin")
    assert ids(bob.timeline_home()) == [int(erins.id), int(daves.id)]
    blocked = bob.account_block(dave_user.pk)
    assert blocked.blocking is True and blocked.following is False
    assert [account.id for account in bob.blocks()] == [str(dave_user.pk)]
    assert ids(bob.timeline_home()) == [int(erins.id)]
    with pytest.raises(MastodonNotFoundError):
        bob.status(daves.id)
    with pytest.raises(MastodonNotFoundError):
        dave.status(bob.status_post("bob's").id)
    assert bob.account_unblock(dave_user.pk).blocking is False
    assert bob.status(daves.id).id == daves.id

    # Muting keeps the follow but hides the account's statuses from the home timeline.
    muted = bob.account_mute(erin_user.pk)
    assert muted.muting is True and muted.following is True
    assert [account.id for account in bob.mutes()] == [str(erin_user.pk)]
    assert int(erins.id) not in ids(bob.timeline_home())
    assert bob.account_unmute(erin_user.pk).muting is False
    assert int(erins.id) in ids(bob.timeline_home())


class Collector(StreamListener):
    def __init__(self):
        super().__init__()
        self.events: queue.Queue = queue.Queue()

    def on_update(self, status):
        self.events.put(("update", status))

    def on_notification(self, notification):
        self.events.put(("notification", notification))

    def on_status_update(self, status):
        self.events.put(("status.update", status))

    def on_delete(self, status_id):
        self.events.put(("delete", status_id))


def test_mastodon_py_user_stream_over_sse(mastodon_server):
    base = mastodon_server
    alice_user, alice = user_and_client(base, "alice")
    bob_user, bob = user_and_client(base, "bob")
    bob.account_follow(alice_user.pk)
    listener = Collector()
    handle = bob.stream_user(listener, run_async=True, timeout=30)
    try:
        # Mastodon.py connects in a thread: written once it receives, nothing can be missed.
        wait_for(handle.is_receiving, timeout=15)
        assert handle.is_alive()
        posted = alice.status_post("hello bob #e2etag")
        event, status = listener.events.get(timeout=15)
        assert event == "update"
        assert status.id == posted.id and status.account.username == "alice"
        assert status.url.startswith(f"{base}/@alice/")

        own = bob.status_post("mine")
        assert own.account.id == str(bob_user.pk)
        assert listener.events.get(timeout=15)[0] == "update"
        alice.status_favourite(own.id)
        event, notification = listener.events.get(timeout=15)
        assert event == "notification"
        assert notification.type == "favourite" and notification.status.id == own.id
        assert notification.account.id == str(alice_user.pk) and isinstance(notification.id, str)

        alice.status_update(posted.id, "hello again bob")
        event, edited = listener.events.get(timeout=15)
        assert event == "status.update"
        assert edited.id == posted.id and "hello again" in edited.content and edited.edited_at is not None
        alice.status_delete(posted.id)
        assert listener.events.get(timeout=15) == ("delete", posted.id)
    finally:
        # Mastodon.py's close() waits for its reading thread to take the next line (a heartbeat
        # comes every 15 s): an event wakes it at once.
        closer = threading.Thread(target=handle.close)
        closer.start()
        wait_for(lambda: handle.closed, timeout=5)
        alice.status_post("wake up")
        closer.join(timeout=15)
    wait_for(lambda: not handle.is_alive(), timeout=15)
    assert handle.closed and not handle.is_receiving()
