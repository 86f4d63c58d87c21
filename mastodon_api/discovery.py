"""What the discovery endpoints tell clients about this server: its version in Mastodon's format,
its limits (the native ones), its usage counts (cached) and the reading markers' writes."""

from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.templatetags.static import static
from django.utils import timezone

from media.images import FORMATS
from posts.models import MAX_POST_LENGTH, Post

from .models import Marker

SOFTWARE_NAME = "mini_twitter"
SOFTWARE_VERSION = "0.1.0"
# The Mastodon API version whose behaviour clients may expect (they enable features by it).
MASTODON_VERSION = "4.3.0"
VERSION = f"{MASTODON_VERSION} (compatible; {SOFTWARE_NAME} {SOFTWARE_VERSION})"
# api_versions[mastodon] of Mastodon 4.3.
MASTODON_API_VERSION = 2
USAGE_CACHE_SECONDS = 600
MAX_PINNED_STATUSES = 5
MEDIA_DESCRIPTION_LIMIT = 1500


def usage() -> dict:
    """Counts of active accounts and posts, cached for ``USAGE_CACHE_SECONDS``."""

    def count() -> dict:
        users = get_user_model().objects.filter(is_active=True)
        now = timezone.now()
        return {
            "users": users.count(),
            "active_month": users.filter(last_login__gte=now - timedelta(days=30)).count(),
            "active_halfyear": users.filter(last_login__gte=now - timedelta(days=180)).count(),
            "posts": Post.objects.filter(author__is_active=True).count(),
        }

    return cache.get_or_set("mastodon_api:usage", count, USAGE_CACHE_SECONDS)


def contact_email() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def streaming_url(request) -> str:
    return f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"


def thumbnail_url(request) -> str:
    return request.build_absolute_uri(static("mastodon_api/thumbnail.png"))


def statuses_configuration() -> dict:
    return {"max_characters": MAX_POST_LENGTH, "max_media_attachments": 4, "characters_reserved_per_url": 23}


def media_configuration() -> dict:
    """The native upload limits: images only (no video or audio)."""
    return {
        "supported_mime_types": [content_type for content_type, _extension in FORMATS.values()],
        "description_limit": MEDIA_DESCRIPTION_LIMIT,
        "image_size_limit": settings.MEDIA_MAX_UPLOAD_BYTES,
        "image_matrix_limit": settings.MEDIA_MAX_PIXELS,
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
    }


def polls_configuration() -> dict:
    # No polls here: no option is accepted.
    return {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 300, "max_expiration": 2629746}


def accounts_configuration() -> dict:
    return {"max_featured_tags": 0, "max_pinned_statuses": MAX_PINNED_STATUSES}


def marker_save(*, user, timeline: str, last_read_id: str) -> Marker:
    """Move a user's marker of ``timeline``; each move bumps its version."""
    with transaction.atomic():
        marker, created = Marker.objects.select_for_update().get_or_create(
            user=user, timeline=timeline, defaults={"last_read_id": last_read_id}
        )
        if not created:
            marker.last_read_id = last_read_id
            marker.version = F("version") + 1
            marker.save(update_fields=["last_read_id", "version", "updated_at"])
            marker.refresh_from_db()
    return marker
