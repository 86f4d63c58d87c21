"""Opens each HTTP request's read routing (mini_twitter/db/replicas.py) when the database has read
replicas, and records the request's writes for read-your-writes."""

from functools import cache

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from mini_twitter.db import replicas


@cache
def admin_prefix() -> str | None:
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return None


def reads_from_primary_only(request) -> bool:
    """Requests that write, and the admin (whose pages show what was just saved), read the primary."""
    prefix = admin_prefix()
    return request.method not in replicas.SAFE_METHODS or (prefix is not None and request.path_info.startswith(prefix))


class ReplicaRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        routing = replicas.RequestRouting(request, primary_only=reads_from_primary_only(request))
        token = replicas.open_routing(routing)
        try:
            response = self.get_response(request)
            if routing.must_answer_again(response):
                routing.answer_again()
                response = self.get_response(request)
            if routing.wrote or (request.method not in replicas.SAFE_METHODS and response.status_code < 400):
                replicas.record_write(request, response)
            return response
        finally:
            replicas.close_routing(token)
