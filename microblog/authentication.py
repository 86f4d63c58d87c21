"""The ``api-key`` header, accepted only by the microblog front-end API."""

from rest_framework import authentication, exceptions

from mini_twitter.api.throttles import FailedAuthenticationThrottle
from users.services import api_key_authenticate

HEADER = "api-key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        key = request.headers.get(HEADER)
        if not key:
            return None  # no credentials: the permission check answers 401
        # Each key costs a database lookup: an address that keeps guessing gets 429s without one.
        failures = FailedAuthenticationThrottle()
        failures.refuse_if_over(request)
        api_key = api_key_authenticate(key=key.strip())
        if api_key is None:
            failures.record()
            raise exceptions.AuthenticationFailed("Unknown or revoked api key.")
        return (api_key.user, api_key)

    def authenticate_header(self, request) -> str:
        return HEADER
