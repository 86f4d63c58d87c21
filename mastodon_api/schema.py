"""Swagger for the Mastodon API: the answers every operation can give (400, 401, 429) documented with
Mastodon's error body, ``{"error": "..."}``, instead of the native API's ``{"detail": ...}``."""

from drf_yasg import openapi

from mini_twitter.api.schema import THROTTLED, UNAUTHENTICATED, AutoSchema

from .entities.schemas import ErrorSerializer

MASTODON_ERRORS = {
    "401": openapi.Response("Missing or invalid access token.", ErrorSerializer),
    "429": openapi.Response(THROTTLED.description, ErrorSerializer, headers=THROTTLED.get("headers")),
}
# Any request can be malformed before its view runs (the NUL guard of mini_twitter.api.middleware, a
# body that does not parse).
MALFORMED = openapi.Response(
    "Malformed request: a NUL character in the path or query string, or a body that does not parse.",
    ErrorSerializer,
)


class MastodonAutoSchema(AutoSchema):
    def get_response_serializers(self):
        responses = super().get_response_serializers()
        for code, native in (("401", UNAUTHENTICATED), ("429", THROTTLED)):
            if responses.get(code) is native:
                responses[code] = MASTODON_ERRORS[code]
        responses.setdefault("400", MALFORMED)
        return responses
