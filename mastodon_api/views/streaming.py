"""The streaming API's health check; the streams themselves are consumers
(:mod:`mastodon_api.streaming.consumers`, routed in ``mini_twitter/routing.py``)."""

from django.http import HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def streaming_health(request):
    """``GET /api/v1/streaming/health`` → ``OK`` as text, as Mastodon's streaming server answers."""
    return HttpResponse("OK", content_type="text/plain")
