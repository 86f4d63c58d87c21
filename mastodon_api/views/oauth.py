"""Mastodon's OAuth 2 endpoints on django-oauth-toolkit's views: the sign-in and consent pages
(``/auth/sign_in``, ``/oauth/authorize``), ``/oauth/token``, ``/oauth/revoke`` and the server's
metadata (``/.well-known/oauth-authorization-server``, RFC 8414)."""

import json
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as oauth2_views
from oauth2_provider.http import OAuth2ResponseRedirect
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from mini_twitter.api.throttles import AnonThrottle, sensitive_throttles, throttled_view

from ..authentication import access_token_get
from ..oauth_server import (
    GRANT_TYPES,
    OOB_REDIRECT_URI,
    MastodonOAuth2Validator,
    MastodonOAuthLibCore,
    use_json_body,
    user_authenticate,
)
from .base import MastodonView

LOGIN_THROTTLES = sensitive_throttles("username")


# Doorkeeper's descriptions, for the errors oauthlib leaves without one.
ERROR_DESCRIPTIONS = {
    "invalid_client": (
        "Client authentication failed due to unknown client, no client authentication included, "
        "or unsupported authentication method."
    ),
    "invalid_grant": (
        "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
        "URI used in the authorization request, or was issued to another client."
    ),
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "invalid_request": (
        "The request is missing a required parameter, includes an unsupported parameter value, "
        "or is otherwise malformed."
    ),
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
    "unauthorized_client": "The client is not authorized to perform this request using this method.",
}


class OAuthServerMixin:
    validator_class = MastodonOAuth2Validator
    oauthlib_backend_class = MastodonOAuthLibCore

    @classmethod
    def get_oauthlib_core(cls):
        # DOT caches the core on the class, but finds a parent's cache with hasattr: each of these
        # views keeps its own, built with the Mastodon validator.
        if "_oauthlib_core" not in cls.__dict__:
            cls._oauthlib_core = cls.get_oauthlib_backend_class()(cls.get_server())
        return cls._oauthlib_core


def with_error_description(response):
    """An OAuth error body always carries ``error_description``."""
    if response.status_code < 400 or not response.get("Content-Type", "").startswith("application/json"):
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if isinstance(body, dict) and "error" in body and not body.get("error_description"):
        body["error_description"] = ERROR_DESCRIPTIONS.get(body["error"], body["error"].replace("_", " "))
        response.content = json.dumps(body).encode()
    return response


# --- Sign in (a browser session for the consent page) ----------------------------------------


@method_decorator([never_cache, csrf_protect, sensitive_post_parameters("password")], name="dispatch")
class SignInView(View):
    """Sign in with email or username and password, then back to ``next`` (the authorization
    request). Throttled as the native API's login is."""

    template_name = "mastodon_api/sign_in.html"

    def get(self, request):
        return self.page(request, error=None)

    def post(self, request):
        return throttled_view(LOGIN_THROTTLES)(self.check_credentials)(request)

    def check_credentials(self, request):
        user = user_authenticate(
            request, identifier=request.POST.get("username", ""), password=request.POST.get("password", "")
        )
        if user is None:
            return self.page(request, error="Invalid email or password.", status=401)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return HttpResponseRedirect(self.next_url(request))

    def next_url(self, request) -> str:
        target = request.POST.get("next") or request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            return target
        return reverse("mastodon-authorize")

    def page(self, request, *, error: str | None, status: int = 200):
        context = {
            "next": request.POST.get("next") or request.GET.get("next") or "",
            "username": request.POST.get("username", ""),
            "error": error,
        }
        return render(request, self.template_name, context, status=status)


# --- Authorization (consent) --------------------------------------------------------------------


class AuthorizeView(OAuthServerMixin, oauth2_views.AuthorizationView):
    """The consent page: the app, the scopes it asks for, Authorize or Deny. The code goes to the
    app's redirect URI, or is shown on a page for ``urn:ietf:wg:oauth:2.0:oob``."""

    template_name = "mastodon_api/authorize.html"
    login_url = "/auth/sign_in"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None:
            mastodon = getattr(application, "mastodon", None)
            context["website"] = mastodon.website if mastodon is not None else ""
        context["scope_rows"] = list(
            zip(context.get("scopes", []), context.get("scopes_descriptions", []), strict=False)
        )
        return context

    def error_response(self, error, application, **kwargs):
        response = super().error_response(error, application, **kwargs)
        # An error page rendered for the browser, not a failure to turn into the API's JSON 400
        # (mini_twitter.api.middleware.JsonBadRequestMiddleware leaves rendered answers alone).
        response.accepted_renderer = None
        return response

    def redirect(self, redirect_to, application):
        if redirect_to.startswith(OOB_REDIRECT_URI):
            params = parse_qs(urlsplit(redirect_to).query)
            context = {
                "code": params.get("code", [""])[0],
                "error": params.get("error", [""])[0],
                "error_description": params.get("error_description", [""])[0],
                "application": application,
            }
            return render(self.request, "mastodon_api/authorization_code.html", context)
        # Native apps' custom schemes (``myapp://callback``) are allowed where the app registered them.
        schemes = {"http", "https"}
        if application is not None:
            schemes |= {urlsplit(uri).scheme for uri in application.redirect_uris.split()}
        return OAuth2ResponseRedirect(redirect_to, sorted(schemes))


# --- Token and revocation -------------------------------------------------------------------------


class TokenView(OAuthServerMixin, oauth2_views.TokenView):
    """Mastodon's token body ``{access_token, token_type, scope, created_at}`` for every grant;
    DOT's (oauthlib's) OAuth error bodies otherwise. The password grant is throttled as logins are."""

    def post(self, request, *args, **kwargs):
        use_json_body(request)
        throttles = [AnonThrottle]
        if request.POST.get("grant_type") == "password":
            throttles += LOGIN_THROTTLES
        return throttled_view(throttles)(self.token_response)(request, *args, **kwargs)

    def token_response(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code != 200:
            return with_error_description(response)
        access_token = json.loads(response.content)["access_token"]
        token = access_token_get(access_token)
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "scope": token.scope,
            "created_at": int(token.created.timestamp()),
        }
        response.content = json.dumps(body).encode()
        return response


class RevokeTokenView(OAuthServerMixin, oauth2_views.RevokeTokenView):
    """``{}`` on success, whether or not the token existed (RFC 7009)."""

    def post(self, request, *args, **kwargs):
        use_json_body(request)
        return throttled_view([AnonThrottle])(self.revoke_response)(request, *args, **kwargs)

    def revoke_response(self, request, *args, **kwargs):
        response = with_error_description(super().post(request, *args, **kwargs))
        if response.status_code == 200 and not response.content:
            response.content = b"{}"
            response["Content-Type"] = "application/json"
        return response


# --- Metadata ---------------------------------------------------------------------------------------


class ServerMetadataView(MastodonView):
    """RFC 8414 metadata, as Mastodon 4.3 serves it."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # Outside /api/ (Swagger documents the API, whose paths all start there).
    swagger_schema = None

    def get(self, request):
        def url(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                "issuer": request.build_absolute_uri("/"),
                "service_documentation": "https://docs.joinmastodon.org/",
                "authorization_endpoint": url("mastodon-authorize"),
                "token_endpoint": url("mastodon-token"),
                "app_registration_endpoint": url("mastodon-apps"),
                "revocation_endpoint": url("mastodon-revoke"),
                "scopes_supported": list(settings.MASTODON_SCOPES),
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": list(GRANT_TYPES),
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )
