"""Request limits: a body announced larger than the biggest accepted upload is refused with 413
before any of it is read, an overlong query string with 414, and a NUL character in the path or
the query string with 400."""

from django.conf import settings

from .errors import bad_request, error_response


class JsonBadRequestMiddleware:
    """With ``DEBUG`` on, Django answers a ``SuspiciousOperation`` (a disallowed host, a path out
    of the media folder, too many form fields) with its HTML debug page instead of ``handler400``:
    such an answer becomes the JSON 400, so a 400 looks the same whatever ``DEBUG`` says. DRF's
    answers are left as they are (they are already in the format the client asked for)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not hasattr(response, "accepted_renderer")
        ):
            return bad_request(request)
        return response


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, 400, "Invalid Content-Length header.")
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return error_response(request, 413, "The request body is too large.")
        if len(request.META.get("QUERY_STRING", "")) > settings.MAX_QUERY_STRING_LENGTH:
            return error_response(request, 414, "The query string is too long.")
        return self.get_response(request)


class NulCharacterMiddleware:
    """PostgreSQL text can't hold a NUL character, so a path or query parameter carrying one would
    fail deep in a query: it is refused here, once for every endpoint."""

    MESSAGE = "NUL characters are not allowed in the path or query string."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        # Only "%00" decodes to NUL in a query string ("+" and the other escapes can't).
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            return error_response(request, 400, self.MESSAGE)
        return self.get_response(request)
