"""A Mastodon library's stream against the production servers on one origin, as behind nginx: the
stream is held by the stream server (uvicorn) while the writes reach the web server's processes
(gunicorn), through the Redis channel layer.
Run these alone with ``pytest -m web_server``."""

import json
import queue
import urllib.request

import pytest
from mastodon import Mastodon, StreamListener
from rest_framework_simplejwt.tokens import AccessToken

from tests.support import wait_for
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live, pytest.mark.web_server]


def native(base: str, user, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}{path}",
        method="POST",
        data=json.dumps(body or {}).encode(),
        headers={"Authorization": f"Bearer {AccessToken.for_user(user)}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


class Collector(StreamListener):
    def __init__(self):
        super().__init__()
        self.events: queue.Queue = queue.Queue()

    def on_update(self, status):
        self.events.put(("update", status))

    def on_notification(self, notification):
        self.events.put(("notification", notification))


def test_mastodon_py_user_stream_sees_an_update_and_a_notification(live_services, mastodon_token):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    token = mastodon_token(bob, "read write")
    with live_services.production_servers() as server:
        assert urllib.request.urlopen(f"{server.stream.base}/api/v1/streaming/health", timeout=10).read() == b"OK"
        native(server.base, bob, f"/api/users/{alice.id}/follow/")
        client = Mastodon(access_token=token, api_base_url=server.base, version_check_mode="none")
        listener = Collector()
        handle = client.stream_user(listener, run_async=True, timeout=30)
        try:
            # Mastodon.py connects in a thread: written once it receives, the post can't be missed.
            wait_for(handle.is_receiving, timeout=15)
            post = native(server.base, alice, "/api/posts/", {"content": "hi bob"})
            event, status = listener.events.get(timeout=15)
            assert event == "update"
            assert str(status.id) == str(post["id"]) and status.account.username == "alice"

            own = native(server.base, bob, "/api/posts/", {"content": "mine"})
            assert listener.events.get(timeout=15)[0] == "update"
            native(server.base, alice, f"/api/posts/{own['id']}/like/")
            event, notification = listener.events.get(timeout=15)
            assert event == "notification"
            assert notification.type == "favourite" and str(notification.status.id) == str(own["id"])
        finally:
            handle.close()
