"""End to end: the ``toot`` command line (a real Mastodon client, with its own strict parsing of
every entity) against the running production server: logging in, posting with media, alt text and
a content warning, replying, reading timelines, whoami, search, following, acting on statuses and
notifications. Its configuration and home are a temporary folder. Run these alone with
``pytest -m web_server``."""

import json
import re

import pytest

from media.tests.images import image_bytes
from posts.models import Bookmark, Like, Post, Retweet
from tests.support.mastodon import mastodon_user, toot
from users.models import Block, Follow
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live, pytest.mark.web_server]

PASSWORD = "toot tests password"
PLAIN = ("--no-pager", "--no-clear")


@pytest.fixture
def logged_in(mastodon_server, tmp_path):
    """alice, logged in with ``toot login_cli``; ``run(*args)`` runs toot as her and checks that it
    succeeded."""
    alice = UserFactory(username="alice", email="alice@example.com", password=PASSWORD, display_name="Alice A.")
    home = tmp_path / "home"
    home.mkdir()
    login = toot(
        "login_cli", "--instance", mastodon_server, "--email", alice.email, config_home=home, stdin=f"{PASSWORD}\n"
    )
    assert login.returncode == 0, login.stdout + login.stderr
    assert "Successfully logged in" in login.stdout

    def run(*args: str) -> str:
        result = toot(*args, config_home=home)
        assert result.returncode == 0, f"toot {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result.stdout

    run.user, run.home = alice, home
    return run


def posted_id(output: str, base: str) -> int:
    """The id in ``Toot posted: <url>``."""
    return int(re.search(rf"Toot posted: {re.escape(base)}/@alice/(\d+)", output)[1])


def test_toot_posts_reads_and_acts(mastodon_server, logged_in, tmp_path, monkeypatch):
    base, alice = mastodon_server, logged_in.user
    bob_user = UserFactory(username="bob", email="bob@example.com", password=PASSWORD)
    bob = mastodon_user(base, email=bob_user.email, password=PASSWORD)

    me = json.loads(logged_in("whoami", "--json"))
    assert (me["id"], me["username"], me["url"]) == (str(alice.pk), "alice", f"{base}/@alice")
    shown = logged_in("whoami")
    assert "@alice" in shown and "Alice A." in shown

    # A post with a picture, its alt text and a content warning.
    picture = tmp_path / "red.png"
    picture.write_bytes(image_bytes())
    output = logged_in(
        "post", "look at this #toottag", "--media", str(picture), "--description", "a red square",
        "--spoiler-text", "colours", "--sensitive",
    )  # fmt: skip
    pictured = Post.objects.get(pk=posted_id(output, base))
    assert (pictured.author, pictured.spoiler_text, pictured.sensitive) == (alice, "colours", True)
    assert [media.description for media in pictured.media.all()] == ["a red square"]
    plain = posted_id(logged_in("post", "just text #toottag"), base)

    # bob follows alice and replies: she sees it in the thread and the public timeline (her home
    # timeline has her own statuses until she follows him).
    bob.account_follow(alice.pk)
    reply = bob.status_post("@alice nice colours", in_reply_to_id=pictured.pk)
    home = logged_in("timelines", "home", *PLAIN)
    assert "just text" in home and "look at this" in home and "nice colours" not in home
    home = json.loads(logged_in("timelines", "home", "--json", "--limit", "1", *PLAIN))
    assert [status["id"] for status in home] == [str(plain)]
    # Its pager follows the Link headers' rel="next" (which it expects first) to the end: one
    # status a page, all in one screen of a tall terminal.
    monkeypatch.setenv("LINES", "1000")
    paged = logged_in("timelines", "home", "--limit", "1", "--pager", "--no-clear")
    assert paged.index("just text") < paged.index("look at this") and "No statuses found" not in paged
    paged = logged_in("timelines", "tag", "toottag", "--limit", "1", "--pager", "--no-clear")
    assert paged.index("just text") < paged.index("look at this")
    tagged = logged_in("timelines", "tag", "toottag", *PLAIN)
    assert "just text" in tagged and "look at this" in tagged and "nice colours" not in tagged
    public = logged_in("timelines", "public", "--local", *PLAIN)
    assert "nice colours" in public
    assert "nice colours" in logged_in("thread", str(pictured.pk))
    status = json.loads(logged_in("status", str(pictured.pk), "--json"))
    assert (status["spoiler_text"], status["sensitive"]) == ("colours", True)
    assert status["media_attachments"][0]["description"] == "a red square"
    assert status["media_attachments"][0]["url"].startswith(f"{base}/")

    # Replying from toot.
    output = logged_in("post", "thanks bob", "--reply-to", reply.id)
    answer = Post.objects.get(pk=posted_id(output, base))
    assert answer.reply_to_id == int(reply.id)

    # Search: accounts, hashtags, statuses.
    found = logged_in("search", "bob")
    assert "@bob" in found
    found = json.loads(logged_in("search", "toottag", "--type", "hashtags", "--json"))
    assert [tag["name"] for tag in found["hashtags"]] == ["toottag"]

    # Following bob, and acting on his status.
    assert "You are now following bob" in logged_in("follow", "bob")
    assert Follow.objects.filter(follower=alice, followee=bob_user).exists()
    theirs = bob.status_post("a status of bob's")
    assert "a status of bob's" in logged_in("timelines", "home", *PLAIN)
    assert "favourited" in logged_in("favourite", theirs.id).lower()
    assert Like.objects.filter(user=alice, post_id=theirs.id).exists()
    assert "reblogged" in logged_in("reblog", theirs.id).lower()
    assert Retweet.objects.filter(user=alice, post_id=theirs.id).exists()
    assert "bookmarked" in logged_in("bookmark", theirs.id).lower()
    assert Bookmark.objects.filter(user=alice, post_id=theirs.id).exists()
    assert "a status of bob's" in logged_in("bookmarks", "--once")
    assert "You are no longer following bob" in logged_in("unfollow", "bob")

    # What alice was told: bob followed her, replied (a mention) and favourited.
    bob.status_favourite(plain)
    notifications = logged_in("notifications")
    assert "bob" in notifications
    assert "@bob now follows you" in notifications and "@bob favourited your status" in notifications
    assert "@bob mentioned you" in notifications and "nice colours" in notifications
    only = logged_in("notifications", "--type", "favourite")
    assert "favourited your status" in only and "follows you" not in only
    without = logged_in("notifications", "--exclude-type", "favourite")
    assert "favourited your status" not in without and "@bob now follows you" in without
    assert [n["type"] for n in json.loads(logged_in("notifications", "--json", "--type", "follow"))] == ["follow"]
    assert "Notifications cleared" in logged_in("notifications", "--clear")
    assert "You have no notifications" in logged_in("notifications")

    # Deleting.
    logged_in("delete", str(plain))
    assert not Post.objects.filter(pk=plain).exists()


def test_toot_manages_relationships_and_its_account(mastodon_server, logged_in, tmp_path):
    base, alice = mastodon_server, logged_in.user
    bob_user = UserFactory(username="bob", email="bob@example.com", password=PASSWORD)
    bob = mastodon_user(base, email=bob_user.email, password=PASSWORD)
    carol_user = UserFactory(username="carol", email="carol@example.com", password=PASSWORD)
    carol = mastodon_user(base, email=carol_user.email, password=PASSWORD)

    # A locked account: follow requests, listed, accepted and rejected from toot.
    assert "Account updated" in logged_in("update-account", "--locked", "--display-name", "Alice B.", "--note", "hi")
    alice.profile.refresh_from_db()
    assert (alice.profile.is_protected, alice.profile.display_name, alice.profile.bio) == (True, "Alice B.", "hi")
    assert "@alice Alice B." in logged_in("whoami")
    bob.account_follow(alice.pk)
    carol.account_follow(alice.pk)
    assert re.findall(r"\* @(\w+)", logged_in("follow-requests", "list")) == ["carol", "bob"]
    assert "bob is now following you" in logged_in("follow-requests", "accept", "bob")
    assert "follow request from carol rejected" in logged_in("follow-requests", "reject", "carol")
    assert Follow.objects.filter(follower=bob_user, followee=alice).exists()
    assert not Follow.objects.filter(follower=carol_user, followee=alice).exists()
    assert re.findall(r"\* @(\w+)", logged_in("followers", "alice")) == ["bob"]
    assert re.findall(r"\* @(\w+)", logged_in("following", "bob")) == ["alice"]
    whois = logged_in("whois", "bob")
    assert "@bob" in whois and "Following: 1" in whois and f"{base}/@bob" in whois

    # Blocks and mutes, undone by name.
    assert "You are now blocking carol" in logged_in("block", "carol")
    assert Block.objects.filter(blocker=alice, blocked=carol_user).exists()
    assert re.findall(r"\* @(\w+)", logged_in("blocked")) == ["carol"]
    assert "carol is no longer blocked" in logged_in("unblock", "carol")
    assert not Block.objects.exists()
    assert "You have muted bob" in logged_in("mute", "bob")
    assert re.findall(r"\* @(\w+)", logged_in("muted")) == ["bob"]
    assert "bob is no longer muted" in logged_in("unmute", "bob")
    assert re.findall(r"\* @(\w+)", logged_in("muted")) == []

    # An upload with its alt text; pins; who reblogged; other timelines.
    picture = tmp_path / "red.png"
    picture.write_bytes(image_bytes())
    uploaded = json.loads(logged_in("upload", str(picture), "--description", "alt text", "--json"))
    assert (uploaded["type"], uploaded["description"]) == ("image", "alt text")
    assert uploaded["url"].startswith(f"{base}/media/")
    assert "Account updated" in logged_in("update-account", "--no-locked")
    own = posted_id(logged_in("post", "pin me"), base)
    assert "Status pinned" in logged_in("pin", str(own))
    assert Post.objects.get(pk=own).pinned_at is not None
    assert "Status unpinned" in logged_in("unpin", str(own))
    bob.status_reblog(own)
    assert "bob" in logged_in("reblogged-by", str(own))
    assert "pin me" in logged_in("timelines", "account", "alice", *PLAIN)
    assert "pin me" in logged_in("timeline", "--once")
    assert "pin me" in logged_in("timeline", "--public", "--once", "--count", "1")
    liked = bob.status_post("liked by alice")
    logged_in("favourite", liked.id)
    assert "liked by alice" in logged_in("timelines", "favourites", *PLAIN)
    assert "You have no lists defined" in logged_in("lists", "list")
    assert "not following any hashtags" in logged_in("tags", "followed")
    assert "Mastodon 4.3.0" in logged_in("instance")
