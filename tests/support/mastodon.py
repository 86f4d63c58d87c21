"""Real Mastodon clients against the production servers: the servers themselves (docker-compose.yml's
``web`` and ``stream``, on the test database and Redis), and what drives them from outside as
clients do: Mastodon.py, the ``toot`` command line, and a browser's sign-in and consent."""

import os
import re
import subprocess
import sys
from contextlib import contextmanager
from html import unescape
from pathlib import Path

import requests

from tests.support.servers import BASE_DIR, LiveServices

# Many clients log in from one address (127.0.0.1) in a test run: the login and registration
# throttles are under test elsewhere.
SERVER_ENV = {"THROTTLE_RATE_ANON": "6000/min", "THROTTLE_RATE_USER": "6000/min"}


@contextmanager
def mastodon_web_server(services: LiveServices, *, extra_env: dict | None = None):
    """The production web and stream servers on one origin, as behind nginx (its ``base`` URL,
    ``log_text()``); the data they should see must be committed (``transactional_db``)."""
    with services.production_servers(extra_env={**SERVER_ENV, **(extra_env or {})}) as site:
        yield site


def mastodon_app(base: str, *, scopes=("read", "write", "follow", "push"), redirect_uris=None):
    """Register an app with Mastodon.py (``Mastodon.create_app``); returns a ``Mastodon`` client with
    its credentials and no user token."""
    from mastodon import Mastodon

    client_id, client_secret = Mastodon.create_app(
        "mini_twitter tests", scopes=list(scopes), redirect_uris=redirect_uris, api_base_url=base
    )
    return Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base, version_check_mode="none")


def mastodon_user(base: str, *, email: str, password: str, scopes=("read", "write", "follow", "push")):
    """A Mastodon.py client logged in as a user with the password grant (``username`` = the email,
    as in Mastodon)."""
    from mastodon import Mastodon

    app = mastodon_app(base, scopes=scopes)
    token = app.log_in(email, password, scopes=list(scopes), allow_http=True)
    return Mastodon(access_token=token, api_base_url=base, version_check_mode="created")


FORM_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def form_fields(html: str) -> dict:
    return {name: unescape(value) for name, value in FORM_FIELD.findall(html)}


def browser_authorize(authorize_url: str, *, identifier: str, password: str, allow: bool = True) -> requests.Response:
    """What a user does in a browser: open the authorization URL, sign in (email or username),
    press Authorize (or Deny). Returns the last answer, unfollowed: a redirect to the app's
    redirect URI, or the page showing the code (``urn:ietf:wg:oauth:2.0:oob``)."""
    with requests.Session() as browser:
        sign_in = browser.get(authorize_url, timeout=10)
        sign_in.raise_for_status()
        fields = form_fields(sign_in.text)
        fields.update(username=identifier, password=password, csrfmiddlewaretoken=fields["csrfmiddlewaretoken"])
        consent = browser.post(sign_in.url, data=fields, headers={"Referer": sign_in.url}, timeout=10)
        consent.raise_for_status()
        fields = form_fields(consent.text)
        if allow:
            fields["allow"] = "Authorize"
        return browser.post(
            consent.url, data=fields, headers={"Referer": consent.url}, allow_redirects=False, timeout=10
        )


def authorization_code_from_page(html: str) -> str:
    return re.search(r'<code class="grant" id="authorization_code">([^<]+)</code>', html)[1]


def toot(*args: str, config_home: Path, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the ``toot`` command line with its configuration under ``config_home``, which is its home
    folder too: nothing it writes lands in the real home."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(config_home), "HOME": str(config_home)}
    return subprocess.run(
        [sys.executable, "-m", "toot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=BASE_DIR,
        timeout=timeout,
    )
