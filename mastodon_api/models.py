"""What the Mastodon API keeps beside the native data: an OAuth application's Mastodon attributes
(its scopes and website) and the reading positions clients sync (markers)."""

from django.conf import settings
from django.db import models
from oauth2_provider.settings import oauth2_settings


class MastodonApp(models.Model):
    """The Mastodon side of a django-oauth-toolkit application registered by ``POST /api/v1/apps``:
    the scopes its tokens may be granted (a subset of them per token), and its website."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="mastodon"
    )
    scopes = models.CharField(max_length=1000, default="read")
    website = models.URLField(max_length=2000, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.application.name} ({self.scopes})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class Marker(models.Model):
    """The last item a user has read in one of their timelines, shared between their clients."""

    class Timeline(models.TextChoices):
        HOME = "home"
        NOTIFICATIONS = "notifications"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="markers")
    timeline = models.CharField(max_length=16, choices=Timeline.choices)
    last_read_id = models.CharField(max_length=32)
    # Bumped on every save; clients use it to notice that another client moved the marker.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "timeline"), name="mastodon_marker_user_timeline")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.timeline} @ {self.last_read_id}"
