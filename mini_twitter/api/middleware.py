"""Request size limits: a body announced larger than the biggest accepted upload is refused with 413
before any of it is read, and an overlong query string with 414."""

from django.conf import settings
from django.http import JsonResponse


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return JsonResponse({"detail": "The request body is too large."}, status=413)
        if len(request.META.get("QUERY_STRING", "")) > settings.MAX_QUERY_STRING_LENGTH:
            return JsonResponse({"detail": "The query string is too long."}, status=414)
        return self.get_response(request)
