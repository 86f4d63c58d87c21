"""``POST /api/v1/apps`` (register a client) and ``GET /api/v1/apps/verify_credentials``."""

from urllib.parse import urlsplit

from django.conf import settings
from drf_yasg.utils import swagger_auto_schema
from rest_framework import serializers
from rest_framework.response import Response

from mini_twitter.api.throttles import SensitiveThrottle

from ..oauth_server import OOB_REDIRECT_URI, app_create, app_scopes, vapid_public_key
from .base import MastodonView

# Schemes no redirect may use: they run code in the browser instead of reaching an app.
FORBIDDEN_SCHEMES = {"javascript", "data", "vbscript", "file"}


class RedirectUrisField(serializers.Field):
    """A string of URIs separated by whitespace, or an array of them."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            uris = data.split()
        elif isinstance(data, list) and all(isinstance(item, str) for item in data):
            uris = [uri for item in data for uri in item.split()]
        else:
            raise serializers.ValidationError("must be a string or an array of strings")
        if not uris:
            raise serializers.ValidationError("can't be blank")
        for uri in uris:
            if len(uri) > 2000:
                raise serializers.ValidationError("is too long (maximum is 2000 characters)")
            if uri == OOB_REDIRECT_URI:
                continue
            parts = urlsplit(uri)
            if not parts.scheme or parts.scheme.lower() in FORBIDDEN_SCHEMES or parts.fragment:
                raise serializers.ValidationError("must be an absolute URI.")
            if parts.scheme.lower() in ("http", "https") and not parts.netloc:
                raise serializers.ValidationError("must be an absolute URI.")
        return list(dict.fromkeys(uris))

    def to_representation(self, value):
        return value


class ScopesField(serializers.CharField):
    def to_internal_value(self, data):
        if isinstance(data, list):
            data = " ".join(str(item) for item in data)
        scopes = list(dict.fromkeys(super().to_internal_value(data).split()))
        unknown = [scope for scope in scopes if scope not in settings.MASTODON_SCOPES]
        if unknown:
            raise serializers.ValidationError(f"are invalid: {' '.join(unknown)}")
        return scopes or ["read"]


class AppCreateSerializer(serializers.Serializer):
    client_name = serializers.CharField(max_length=60, trim_whitespace=True)
    redirect_uris = RedirectUrisField()
    scopes = ScopesField(required=False, allow_blank=True, default=["read"])
    website = serializers.URLField(required=False, allow_blank=True, allow_null=True, max_length=2000, default="")


class ApplicationSerializer(serializers.Serializer):
    """Mastodon's Application entity."""

    id = serializers.CharField()
    name = serializers.CharField()
    website = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())
    redirect_uri = serializers.CharField(help_text="Deprecated: the redirect URIs, one a line.")
    redirect_uris = serializers.ListField(child=serializers.CharField())
    vapid_key = serializers.CharField(help_text="Deprecated: see configuration.vapid in /api/v2/instance.")

    class Meta:
        ref_name = "MastodonApplication"


class CredentialApplicationSerializer(ApplicationSerializer):
    """Mastodon's CredentialApplication: the Application with its client credentials."""

    client_id = serializers.CharField()
    client_secret = serializers.CharField()
    client_secret_expires_at = serializers.IntegerField(help_text="0: the secret does not expire.")

    class Meta:
        ref_name = "MastodonCredentialApplication"


def application_data(application) -> dict:
    mastodon = getattr(application, "mastodon", None)
    uris = application.redirect_uris.split()
    return {
        "id": str(application.pk),
        "name": application.name,
        "website": (mastodon.website if mastodon is not None else "") or None,
        "scopes": app_scopes(application),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": vapid_public_key(),
    }


class AppRegistrationThrottle(SensitiveThrottle):
    """App registrations per client address, at the login rate but counted apart from logins."""

    scope = "mastodon_apps"


class AppsView(MastodonView):
    public_methods = ("POST",)
    swagger_tags = ["mastodon"]

    def get_throttles(self):
        return [*super().get_throttles(), AppRegistrationThrottle()]

    @swagger_auto_schema(
        operation_summary="Register a client application",
        request_body=AppCreateSerializer,
        responses={200: CredentialApplicationSerializer, 422: "Validation failed"},
        security=[],
    )
    def post(self, request):
        serializer = AppCreateSerializer(data=normalised_app_fields(request.data))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application, secret = app_create(
            name=data["client_name"],
            redirect_uris=data["redirect_uris"],
            scopes=data["scopes"],
            website=data.get("website") or "",
        )
        body = application_data(application)
        body.update(client_id=application.client_id, client_secret=secret, client_secret_expires_at=0)
        return Response(body)


def normalised_app_fields(data) -> dict:
    """Form posts may repeat ``redirect_uris`` or send Rails' ``redirect_uris[]``."""
    if not hasattr(data, "getlist"):
        return data
    fields = {key: data.get(key) for key in data}
    uris = data.getlist("redirect_uris[]") or data.getlist("redirect_uris")
    if uris:
        fields["redirect_uris"] = uris
    scopes = data.getlist("scopes[]")
    if scopes:
        fields["scopes"] = scopes
    return fields


class AppVerifyCredentialsView(MastodonView):
    """Any valid token (an app's own or a user's) identifies its app."""

    user_required = False
    swagger_tags = ["mastodon"]

    @swagger_auto_schema(operation_summary="The app of the token", responses={200: ApplicationSerializer})
    def get(self, request):
        return Response(application_data(request.auth.application))
