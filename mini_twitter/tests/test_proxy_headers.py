"""Client addresses behind a proxy, on the production servers started with docker-compose.yml's
command lines (``web``: gunicorn and wsgi.py's WSGIForwardedFor; ``stream``: uvicorn with proxy
headers): X-Forwarded-For is believed only from the trusted proxy (FORWARDED_ALLOW_IPS), for the
throttles and the /metrics allow-list alike.

Run these alone with ``pytest -m web_server``."""

import pytest

from mini_twitter.tests.test_database_connections import get

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live, pytest.mark.web_server]


def login_attempts(base: str, forwarded_for: list[str]) -> list[int]:
    """One failed login per address claimed in X-Forwarded-For, each naming another account (so
    only the per-address throttle can stop them)."""
    return [
        get(
            f"{base}/api/users/token/",
            {"X-Forwarded-For": address},
            {"username": f"nobody-{i}", "password": "wrong-password"},
        )[0]
        for i, address in enumerate(forwarded_for)
    ]


# Three logins per minute and address (THROTTLE_RATE_ANON / THROTTLE_SENSITIVE_DIVISOR).
PROXY_ENV = {"METRICS_ALLOWED_IPS": "10.0.0.0/8", "THROTTLE_RATE_ANON": "30/min"}
ROTATING = [f"10.1.2.{i}" for i in range(3, 9)]


SERVERS = pytest.mark.parametrize("kind", ["production", "stream"])


@SERVERS
def test_forwarded_for_from_an_untrusted_peer_is_ignored(live_services, kind):
    env = {**PROXY_ENV, "FORWARDED_ALLOW_IPS": "192.0.2.10"}  # a proxy that is not this client
    with live_services.web_server(kind=kind, extra_env=env) as server:
        base = server.base
        # Seen as 127.0.0.1, which is not allowed to read the metrics, whatever it claims.
        assert get(f"{base}/metrics", {"X-Forwarded-For": "10.1.2.3"})[0] == 403
        # One address however the header rotates: the fourth login is throttled.
        assert login_attempts(base, ROTATING) == [401, 401, 401, 429, 429, 429]


@SERVERS
def test_forwarded_for_from_the_trusted_proxy_names_the_client(live_services, kind):
    env = {**PROXY_ENV, "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with live_services.web_server(kind=kind, extra_env=env) as server:
        base = server.base
        assert get(f"{base}/metrics", {"X-Forwarded-For": "10.1.2.3"})[0] == 200
        assert get(f"{base}/metrics", {"X-Forwarded-For": "203.0.113.7"})[0] == 403
        # Each client the proxy names has its own login budget.
        assert login_attempts(base, ROTATING) == [401] * 6
        assert login_attempts(base, ["10.1.2.3"] * 3) == [401, 401, 429]
