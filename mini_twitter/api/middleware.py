"""Request size limits: a body announced larger than the biggest accepted upload is refused with 413
before any of it is read, and an overlong query string with 414."""

from django.conf import settings

from .errors import error_response


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
