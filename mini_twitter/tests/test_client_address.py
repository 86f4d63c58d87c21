"""The client's address under gunicorn (``WSGIForwardedFor``, wrapped around the WSGI application):
X-Forwarded-For counts only when the peer is a trusted proxy, as uvicorn's ``--proxy-headers``."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from mini_twitter.api.client_address import WSGIForwardedFor


def remote_addr(trusted: list[str], peer: str, forwarded_for: str | None = None) -> str:
    seen = {}

    def app(environ, start_response):
        seen["address"] = environ["REMOTE_ADDR"]
        return []

    environ = {"REMOTE_ADDR": peer}
    if forwarded_for is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded_for
    WSGIForwardedFor(app, trusted)(environ, lambda *args: None)
    return seen["address"]


def test_the_trusted_proxy_names_the_client():
    assert remote_addr(["172.30.50.10"], "172.30.50.10", "203.0.113.7") == "203.0.113.7"


def test_an_untrusted_peer_is_known_by_its_own_address_whatever_it_sends():
    assert remote_addr(["172.30.50.10"], "198.51.100.2", "203.0.113.7") == "198.51.100.2"
    assert remote_addr([], "127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_the_client_is_the_right_most_address_not_a_trusted_proxy():
    # What the client wrote itself (left) is not believed past the first untrusted hop.
    assert remote_addr(["10.0.0.0/8"], "10.0.0.1", "1.2.3.4, 203.0.113.7, 10.0.0.5") == "203.0.113.7"
    assert remote_addr(["10.0.0.0/8"], "10.0.0.1", "10.0.0.9, 10.0.0.5") == "10.0.0.9"


def test_a_trusted_peer_without_the_header_or_with_an_empty_one_stays_itself():
    assert remote_addr(["127.0.0.1"], "127.0.0.1") == "127.0.0.1"
    assert remote_addr(["127.0.0.1"], "127.0.0.1", " , ") == "127.0.0.1"


def test_the_default_trusts_loopback_only(settings):
    assert settings.FORWARDED_ALLOW_IPS == ["127.0.0.1", "::1"]
    assert remote_addr(settings.FORWARDED_ALLOW_IPS, "::1", "203.0.113.7") == "203.0.113.7"
    assert remote_addr(settings.FORWARDED_ALLOW_IPS, "192.0.2.1", "203.0.113.7") == "192.0.2.1"


def test_a_malformed_allow_list_refuses_to_start():
    with pytest.raises(ImproperlyConfigured, match="FORWARDED_ALLOW_IPS"):
        WSGIForwardedFor(lambda environ, start_response: [], ["not-an-address"])


def test_a_proxy_reaching_an_ipv6_socket_by_its_ipv4_mapped_address_is_trusted():
    assert remote_addr(["172.30.50.10"], "::ffff:172.30.50.10", "203.0.113.7") == "203.0.113.7"
    assert remote_addr(["172.30.50.10"], "::ffff:198.51.100.2", "203.0.113.7") == "::ffff:198.51.100.2"
