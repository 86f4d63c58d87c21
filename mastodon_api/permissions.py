"""Scopes enforced per endpoint and method, as Mastodon enforces them.

A view names what each method needs, e.g. ``required_scopes = {"GET": ("read", "read:statuses")}``
(any one is enough), and whether it needs a user (``user_required``) or serves anonymous readers
(``public_methods``). A token that lacks the scope gets 403; no token where one is needed gets 401; an
app token (client credentials) where a user is needed gets 422, as in Mastodon."""

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .scopes import scopes_granted


class UserRequired(exceptions.APIException):
    status_code = 422
    default_detail = "This method requires an authenticated user"
    default_code = "user_required"


class ScopePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        token = request.auth
        required = getattr(view, "required_scopes", {}).get(request.method)
        if request.method == "HEAD":
            required = getattr(view, "required_scopes", {}).get("GET")
        if token is None:
            if request.method in getattr(view, "public_methods", ()):
                return True
            raise exceptions.NotAuthenticated("The access token is invalid")
        if required and not scopes_granted(set(token.scope.split()), required):
            raise exceptions.PermissionDenied("This action is outside the authorized scopes")
        needs_user = getattr(view, "user_required", True) and request.method not in getattr(view, "public_methods", ())
        if needs_user and not request.user.is_authenticated:
            raise UserRequired()
        return True
