from django.apps import AppConfig


class MastodonApiConfig(AppConfig):
    """The Mastodon client API (``/api/v1/``, ``/api/v2/``, ``/oauth/``), an adapter on the same data
    and services as the native API, so that Mastodon apps and libraries work unchanged."""

    name = "mastodon_api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from .cors import allow_any_origin_on_mastodon_paths

        check_request_enabled.connect(allow_any_origin_on_mastodon_paths, dispatch_uid="mastodon_api_cors")
