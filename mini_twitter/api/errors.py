"""JSON error answers for everything outside DRF's views: unknown paths, wrong methods, CSRF
failures, server errors and the request limits. A request of the microblog front end gets that
API's failure envelope ``{"result": false, "error_type", "error_message"}``: one for its own paths
(``/api/tweets…``, ``/api/medias…``), or one with an ``api-key`` header for a path without a
trailing slash (the JWT API's paths all end with one). A request of the Mastodon API (``/api/v1/``,
``/api/v2/``, ``/oauth/``) gets Mastodon's ``{"error": ...}``. Anyone else gets DRF's ``{"detail": ...}``.
Never an HTML page, whatever ``DEBUG`` says."""

import functools
import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)

# The microblog API's own paths (they have no trailing slash; ``/api/tweets/`` is one of its 404s).
MICROBLOG_PATHS = ("/api/tweets", "/api/medias")

ERROR_TYPES = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
ERROR_TYPES |= {414: "URITooLong", 429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}


def is_microblog_request(request) -> bool:
    path = request.path
    if any(path == p or path.startswith(p + "/") for p in MICROBLOG_PATHS):
        return True
    return "api-key" in request.headers and not path.endswith("/")


# The Mastodon client API's paths.
MASTODON_PATHS = ("/api/v1/", "/api/v2/", "/oauth/")


def error_response(request, status: int, message: str) -> JsonResponse:
    if request.path.startswith(MASTODON_PATHS):
        body = {"error": message}
    elif is_microblog_request(request):
        body = {"result": False, "error_type": ERROR_TYPES.get(status, "Error"), "error_message": message}
    else:
        body = {"detail": message}
    return JsonResponse(body, status=status)


def bad_request(request, exception=None) -> JsonResponse:
    # The exception (a disallowed host, a path out of a folder...) is logged by Django, not echoed.
    return error_response(request, 400, "Bad request.")


def permission_denied(request, exception=None) -> JsonResponse:
    return error_response(request, 403, "Permission denied.")


def not_found(request, exception=None) -> JsonResponse:
    return error_response(request, 404, "Not found.")


def server_error(request) -> JsonResponse:
    # A database outage met outside DRF's views (the session and auth middleware, the admin) is
    # the same clean, retryable 503 the API answers, not a 500.
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        # Imported here: DRF's settings import the throttles, which import this module.
        from mini_twitter.api.exceptions import ServiceUnavailable

        logger.warning("database unavailable: %s", exc)
        response = error_response(request, 503, str(ServiceUnavailable.default_detail))
        response["Retry-After"] = str(ServiceUnavailable.retry_after)
        return response
    return error_response(request, 500, "Internal server error.")


def csrf_failure(request, reason: str = "") -> JsonResponse:
    # Only cookie-authenticated browser forms (the admin) are CSRF-checked; the API uses tokens.
    return error_response(
        request, 403, f"CSRF verification failed: {reason}" if reason else "CSRF verification failed."
    )


def method_not_allowed(request, allowed) -> JsonResponse:
    response = error_response(request, 405, f'Method "{request.method}" not allowed.')
    response["Allow"] = ", ".join(allowed)
    return response


def json_methods(*allowed: str):
    """A plain view that answers only ``allowed`` methods (others get a JSON 405 with ``Allow``);
    it changes nothing, so it needs no CSRF check."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in allowed:
                return method_not_allowed(request, allowed)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
