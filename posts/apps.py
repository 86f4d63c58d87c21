from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models import Q

        from notifications.selectors import notification_filter_register

        from . import signals  # noqa: F401 - connects the receivers
        from .visibility import post_visible_q

        # A notification naming a post its recipient may not see (any more) is not listed.
        notification_filter_register(lambda user: Q(post__isnull=True) | post_visible_q(user, prefix="post__"))
