"""URLs of the Mastodon client API, mounted at the site root (``/api/v1/``, ``/api/v2/``, ``/oauth/``,
``/.well-known/``, ``/nodeinfo/``)."""

from django.urls import path

from .views import apps, oauth

urlpatterns: list = []

# OAuth 2 and apps.
urlpatterns += [
    path("api/v1/apps", apps.AppsView.as_view(), name="mastodon-apps"),
    path("api/v1/apps/verify_credentials", apps.AppVerifyCredentialsView.as_view()),
    path("auth/sign_in", oauth.SignInView.as_view(), name="mastodon-sign-in"),
    path("oauth/authorize", oauth.AuthorizeView.as_view(), name="mastodon-authorize"),
    path("oauth/token", oauth.TokenView.as_view(), name="mastodon-token"),
    path("oauth/revoke", oauth.RevokeTokenView.as_view(), name="mastodon-revoke"),
    path(".well-known/oauth-authorization-server", oauth.ServerMetadataView.as_view()),
]
