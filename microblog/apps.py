from django.apps import AppConfig


class MicroblogConfig(AppConfig):
    """The api-key based API of the single-page microblog front end, on the same data as the JWT
    API (a tweet is a post, a like a like, a follow a follow, a media an upload)."""

    name = "microblog"
    default_auto_field = "django.db.models.BigAutoField"
