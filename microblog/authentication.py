"""The ``api-key`` header, accepted only by the microblog front-end API."""

from rest_framework import authentication, exceptions

from users.services import api_key_authenticate

HEADER = "api-key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        key = request.headers.get(HEADER)
        if not key:
            return None  # no credentials: the permission check answers 401
        api_key = api_key_authenticate(key=key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked api key.")
        return (api_key.user, api_key)

    def authenticate_header(self, request) -> str:
        return HEADER
