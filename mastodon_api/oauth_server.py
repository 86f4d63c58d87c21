"""The OAuth 2 server behind the Mastodon API, on django-oauth-toolkit: what Mastodon's Doorkeeper
does differently from DOT's defaults.

- Every app is a confidential client that may use the authorization code (PKCE optional, S256 only),
  client credentials and password grants, as Mastodon's apps can.
- A token's scopes must be a subset of its app's registered scopes (``invalid_scope`` otherwise).
- The password grant's ``username`` is the account's email, as in Mastodon, or its username.
- No refresh tokens: Mastodon's tokens live until revoked.
"""

import base64
import functools
import hashlib
import json

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db.models import Q
from django.http import QueryDict
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator

# The grants every Mastodon app may use (Doorkeeper's grant_flows in Mastodon).
GRANT_TYPES = ("authorization_code", "password", "client_credentials")
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"


def app_scopes(application) -> list[str]:
    """The scopes an app registered with; an app made outside ``POST /api/v1/apps`` has ``read``."""
    mastodon = getattr(application, "mastodon", None)
    return mastodon.scope_list if mastodon is not None else ["read"]


def user_authenticate(request, *, identifier: str, password: str):
    """The active user whose email (as Mastodon logs in) or username is ``identifier`` and whose
    password is ``password``, or None. Inactive (suspended) users never authenticate."""
    value = str(identifier or "").strip()
    if not value or "\x00" in value or "\x00" in str(password):
        return None
    User = get_user_model()
    candidates = list(
        User.objects.filter(Q(email__iexact=value) | Q(username__iexact=User.normalize_username(value))).only(
            "username"
        )[:2]
    )
    if not candidates:
        # As Django's ModelBackend does for a missing user: the time of one password check, so
        # the answer's delay does not tell which accounts exist.
        User().set_password(password)
        return None
    for candidate in candidates:
        user = authenticate(request, username=candidate.username, password=password)
        if user is not None:
            return user
    return None


class MastodonOAuth2Validator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return grant_type in GRANT_TYPES

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code"

    def is_pkce_required(self, client_id, request):
        # Optional as in Mastodon (many clients don't send it); when sent it is verified, S256 only.
        return False

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return bool(scopes) and set(scopes) <= set(app_scopes(client)) and set(scopes) <= set(settings.MASTODON_SCOPES)

    def validate_user(self, username, password, client, request, *args, **kwargs):
        user = user_authenticate(self.build_http_request(request), identifier=username, password=password)
        if user is None:
            return False
        request.user = user
        return True

    def save_bearer_token(self, token, request, *args, **kwargs):
        token.pop("refresh_token", None)
        return super().save_bearer_token(token, request, *args, **kwargs)


class MastodonOAuthLibCore(OAuthLibCore):
    """Bodies of the token and revocation endpoints as form data (the standard) or JSON (which
    Mastodon accepts too); the view has put a JSON body's fields into ``request.POST``."""

    def extract_headers(self, request):
        headers = super().extract_headers(request)
        if getattr(request, "mastodon_json_body", False):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers


def use_json_body(request) -> None:
    """Put the fields of a JSON request body into ``request.POST``, as form fields would be."""
    if request.content_type != "application/json":
        return
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = {}
    fields = QueryDict(mutable=True)
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, list):
                value = " ".join(str(item) for item in value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif value is None or isinstance(value, dict):
                continue
            fields[str(key)] = str(value)
    request.POST = fields
    request.mastodon_json_body = True


@functools.cache
def vapid_public_key() -> str:
    """A P-256 public key derived from ``SECRET_KEY`` (stable across restarts and processes), in
    the form Mastodon publishes its VAPID key: the uncompressed point, URL-safe base64."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    seed = hashlib.sha256(b"mastodon-vapid:" + settings.SECRET_KEY.encode()).digest()
    private_value = int.from_bytes(seed, "big") % (order - 1) + 1
    key = ec.derive_private_key(private_value, ec.SECP256R1())
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).decode()


# --- Apps -----------------------------------------------------------------------------------


def app_create(*, name: str, redirect_uris: list[str], scopes: list[str], website: str = ""):
    """Register a Mastodon app: a confidential DOT application with its Mastodon attributes.
    Returns ``(application, client_secret)``; the secret is stored hashed, so this is the only
    time it can be read."""
    from django.db import transaction
    from oauth2_provider.generators import generate_client_secret
    from oauth2_provider.models import get_application_model

    from .models import MastodonApp

    Application = get_application_model()
    secret = generate_client_secret()
    with transaction.atomic():
        application = Application.objects.create(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="\n".join(redirect_uris),
            client_secret=secret,
            skip_authorization=False,
        )
        application.mastodon = MastodonApp.objects.create(
            application=application, scopes=" ".join(scopes), website=website
        )
    return application, secret
