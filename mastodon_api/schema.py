"""Swagger for the Mastodon API: its views are tagged ``mastodon``, authenticate with the OAuth
access tokens of ``/oauth/token`` (the ``MastodonToken`` scheme), and answer errors with Mastodon's
``{"error": "..."}`` (401 bad token, 403 scope, 422 invalid input or an app token where a user is
needed, 429 throttled)."""

from drf_yasg import openapi

from mini_twitter.api.schema import AutoSchema

from .entities.schemas import ErrorSerializer

ERRORS = {
    "400": "Malformed request: a body that does not parse, a NUL character in the query.",
    "401": "Missing or invalid access token.",
    "403": "The token lacks the scope this method needs.",
    "404": "Record not found.",
    "422": "Validation failed, or an app token where a user is needed.",
    "429": "Too many requests; `Retry-After` says how many seconds to wait.",
}
RETRY_AFTER = {"Retry-After": openapi.Schema(type=openapi.TYPE_INTEGER, description="Seconds to wait.")}


def mastodon_error(code: str, description: str | None = None) -> openapi.Response:
    headers = RETRY_AFTER if code == "429" else None
    return openapi.Response(description or ERRORS[code], ErrorSerializer, headers=headers)


class MastodonAutoSchema(AutoSchema):
    def get_tags(self, operation_keys=None):
        return list(getattr(self.view, "swagger_tags", None) or ["mastodon"])

    def get_response_serializers(self):
        responses = super().get_response_serializers()
        view, method = self.view, self.method
        responses.setdefault("400", None)
        if getattr(view, "authentication_classes", None) and method not in getattr(view, "public_methods", ()):
            if getattr(view, "required_scopes", {}).get(method):
                responses.setdefault("403", None)
            if getattr(view, "user_required", True):
                responses.setdefault("422", None)
        for code in ERRORS:
            if code in responses:
                current = responses[code]
                responses[code] = mastodon_error(code, current if isinstance(current, str) else None)
        return responses

    def get_security(self):
        if not getattr(self.view, "authentication_classes", None):
            return []
        return [{"MastodonToken": []}]
