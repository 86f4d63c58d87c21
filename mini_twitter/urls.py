"""Root URLs: the REST API under ``/api/``, docs, admin, health checks and metrics."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_yasg import openapi
from drf_yasg.views import get_schema_view
from rest_framework.permissions import AllowAny

from media.views import serve_media
from microblog.frontend import frontend

from . import health
from .api.schema import SchemaGenerator
from .api.throttles import sensitive_throttles, throttled_view
from .observability.views import metrics_view

schema_view = get_schema_view(
    openapi.Info(
        title="mini_twitter API",
        default_version="v1",
        description=(
            "A Twitter-like REST API. Authenticate with `Authorization: Bearer <access JWT>` from "
            "`POST /api/users/token/` (use the Authorize button). Public reads need no token."
        ),
    ),
    public=True,
    generator_class=SchemaGenerator,
    permission_classes=[AllowAny],
    authentication_classes=[],
)

urlpatterns = [
    path("api/", include("microblog.urls")),
    path("api/users/", include("users.urls")),
    path("api/notifications/", include("notifications.urls")),
    path("api/messages/", include("messaging.urls")),
    path("api/", include("rooms.urls")),
    path("api/", include("media.urls")),
    path("api/", include("posts.urls")),
    path("api/", include("moderation.urls")),
    path("", include("mastodon_api.urls")),
    # The admin's password check is throttled as the API's login is (same classes, same rates).
    path("admin/login/", throttled_view(sensitive_throttles("username"))(admin.site.login)),
    path("admin/", admin.site.urls),
    re_path(r"^swagger(?P<format>\.json|\.yaml)$", schema_view.without_ui(cache_timeout=0), name="schema-json"),
    path("swagger/", schema_view.with_ui("swagger", cache_timeout=0), name="swagger-ui"),
    path("redoc/", schema_view.with_ui("redoc", cache_timeout=0), name="redoc"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    re_path(r"^media/(?P<path>.+)$", serve_media, name="media-file"),
    # Last: the optional single-page front end at the site root (MICROBLOG_FRONTEND_DIR).
    re_path(r"^(?P<path>.*)$", frontend, name="frontend"),
]

handler400 = "mini_twitter.api.errors.bad_request"
handler403 = "mini_twitter.api.errors.permission_denied"
handler404 = "mini_twitter.api.errors.not_found"
handler500 = "mini_twitter.api.errors.server_error"
