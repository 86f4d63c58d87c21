from django.apps import AppConfig


class MastodonApiConfig(AppConfig):
    """The Mastodon client API (``/api/v1/``, ``/api/v2/``, ``/oauth/``), an adapter on the same data
    and services as the native API, so that Mastodon apps and libraries work unchanged."""

    name = "mastodon_api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from corsheaders.signals import check_request_enabled
        from django.db.models.signals import post_delete
        from oauth2_provider.models import get_access_token_model

        from posts import events

        from .cors import allow_any_origin_on_mastodon_paths
        from .streaming import handlers

        check_request_enabled.connect(allow_any_origin_on_mastodon_paths, dispatch_uid="mastodon_api_cors")
        events.post_published.connect(handlers.post_published_stream, dispatch_uid="mastodon_api.stream_published")
        events.post_edited.connect(handlers.post_edited_stream, dispatch_uid="mastodon_api.stream_edited")
        events.post_removed.connect(handlers.post_removed_stream, dispatch_uid="mastodon_api.stream_removed")
        events.retweet_published.connect(handlers.retweet_published_stream, dispatch_uid="mastodon_api.stream_reblog")
        events.retweet_removed.connect(handlers.retweet_removed_stream, dispatch_uid="mastodon_api.stream_unreblog")
        post_delete.connect(
            handlers.access_token_deleted_close_streams,
            sender=get_access_token_model(),
            dispatch_uid="mastodon_api.access_token_deleted_close_streams",
        )
