"""The client's address: the one notion of "who is calling" for the throttles and the ``/metrics``
allow-list.

It is the peer the server reports (``REMOTE_ADDR``). Behind a reverse proxy, the proxy's
``X-Forwarded-For`` is put there, but only for a peer trusted by ``FORWARDED_ALLOW_IPS`` (in the
compose setup nginx's fixed address, in the image nobody): by uvicorn itself for ASGI, by
:class:`WSGIForwardedFor` (``wsgi.py``) under gunicorn. Past that, the application never reads
``X-Forwarded-For``, so a client cannot pick its address by sending the header.
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def networks_of(entries, *, setting: str) -> tuple[Network, ...]:
    """The addresses or CIDR ranges of a setting (``METRICS_ALLOWED_IPS``, ``FORWARDED_ALLOW_IPS``);
    a malformed entry stops start-up with the setting's name."""
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{setting}: {exc}") from exc


def address_in(address: str, networks: tuple[Network, ...]) -> bool:
    """Whether ``address`` (an IPv4-mapped IPv6 address as its IPv4 one) is in one of ``networks``;
    never for something that is not an address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class WSGIForwardedFor:
    """WSGI middleware: what uvicorn's ``--proxy-headers`` does for ASGI, for gunicorn, which puts
    the peer in ``REMOTE_ADDR`` whatever it trusts. From a trusted proxy (``FORWARDED_ALLOW_IPS``),
    the client is the right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy (the
    left-most when all are); from anyone else the header changes nothing."""

    def __init__(self, app, trusted: list[str] | None = None):
        self.app = app
        entries = settings.FORWARDED_ALLOW_IPS if trusted is None else trusted
        self.trust_all = "*" in entries
        self.networks = networks_of([entry for entry in entries if entry != "*"], setting="FORWARDED_ALLOW_IPS")

    def trusted(self, address: str) -> bool:
        return self.trust_all or address_in(address, self.networks)

    def __call__(self, environ, start_response):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")
        if forwarded and self.trusted(environ.get("REMOTE_ADDR", "")):
            hosts = [host.strip() for host in forwarded.split(",") if host.strip()]
            if hosts:
                environ["REMOTE_ADDR"] = next((host for host in reversed(hosts) if not self.trusted(host)), hosts[0])
        return self.app(environ, start_response)
