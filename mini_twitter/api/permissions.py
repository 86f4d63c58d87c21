"""Permissions shared by the apps."""

from rest_framework import permissions


class IsOwner(permissions.BasePermission):
    """Object-level: only the object's owner (``owner_field``, default ``author``) may write it."""

    message = "You can only change your own content."

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        owner_id = getattr(obj, f"{getattr(view, 'owner_field', 'author')}_id", None)
        return owner_id is not None and owner_id == request.user.id
