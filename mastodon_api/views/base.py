"""The base of every Mastodon API view: OAuth tokens only, scopes per method, Mastodon's errors."""

from rest_framework.views import APIView

from ..authentication import MastodonTokenAuthentication
from ..exceptions import mastodon_exception_handler
from ..permissions import ScopePermission
from ..schema import MastodonAutoSchema


class MastodonView(APIView):
    authentication_classes = [MastodonTokenAuthentication]
    permission_classes = [ScopePermission]
    # Method → the scopes of which a token needs one; see mastodon_api.permissions.
    required_scopes: dict[str, tuple[str, ...]] = {}
    # Methods that anonymous readers may call (a token, when sent, still needs its scope).
    public_methods: tuple[str, ...] = ()
    # False where an app's own token (client credentials, no user) is enough.
    user_required = True
    swagger_schema = MastodonAutoSchema

    def get_exception_handler(self):
        return mastodon_exception_handler
