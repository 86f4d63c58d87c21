"""URLs of the users app, mounted at ``/api/users/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

profiles = SimpleRouter()
profiles.register("profiles", views.ProfileViewSet, basename="profile")
profiles.register("api_keys", views.ApiKeyViewSet, basename="api-key")
profiles.register("follow_requests", views.FollowRequestViewSet, basename="follow-request")

users = SimpleRouter()
users.register("", views.UserViewSet, basename="user")

urlpatterns = [
    path("token/", views.TokenObtainView.as_view(), name="token-obtain"),
    path("token/refresh/", views.TokenRefreshRotateView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_reset/", views.PasswordResetRequestView.as_view(), name="password-reset"),
    path("password_reset/confirm/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    *profiles.urls,
    *users.urls,
]
