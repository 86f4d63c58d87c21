"""``/metrics``: Prometheus text format, for allowed addresses or a bearer token only.

Allowed without a token: the networks in ``METRICS_ALLOWED_IPS`` (addresses or CIDR ranges; by
default loopback and the private ranges, ``none`` for no address). With ``METRICS_TOKEN`` set, a
request with ``Authorization: Bearer <token>`` is allowed from anywhere. Anything else gets 403.
The address is the one the throttles use (:mod:`mini_twitter.api.client_address`): the peer, or the
client a trusted proxy names.
"""

import functools
import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..api.client_address import Network, address_in, client_address, networks_of
from ..api.errors import json_methods
from . import metrics


@functools.cache
def allowed_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return networks_of([entry for entry in entries if entry.lower() != "none"], setting="METRICS_ALLOWED_IPS")


def access_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    return address_in(client_address(request), allowed_networks(tuple(settings.METRICS_ALLOWED_IPS)))


@never_cache
@json_methods("GET", "HEAD")
def metrics_view(request):
    if not access_allowed(request):
        return JsonResponse({"detail": "Metrics are not available to this client."}, status=403)
    return HttpResponse(generate_latest(metrics.registry()), content_type=CONTENT_TYPE_LATEST)
