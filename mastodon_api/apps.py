from django.apps import AppConfig


class MastodonApiConfig(AppConfig):
    """The Mastodon client API (``/api/v1/``, ``/api/v2/``, ``/oauth/``), an adapter on the same data
    and services as the native API, so that Mastodon apps and libraries work unchanged."""

    name = "mastodon_api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from corsheaders.signals import check_request_enabled
        from django.db.models.signals import post_delete, post_save
        from oauth2_provider.models import get_access_token_model

        from posts import events
        from users.models import Follow, Profile, User

        from . import handlers as cache_handlers
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
        for model in (User, Profile):
            post_save.connect(cache_handlers.account_saved, sender=model, dispatch_uid=f"mastodon_api.account.{model}")
        post_save.connect(cache_handlers.follow_changed, sender=Follow, dispatch_uid="mastodon_api.follow_saved")
        post_delete.connect(cache_handlers.follow_changed, sender=Follow, dispatch_uid="mastodon_api.follow_deleted")
        events.post_published.connect(cache_handlers.post_published, dispatch_uid="mastodon_api.account_posted")
        events.post_removed.connect(cache_handlers.post_removed, dispatch_uid="mastodon_api.account_unposted")
