from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mini_twitter import checks  # noqa: F401 - registers the project's system checks

        from . import services, signals

        receiver = services.user_activity_changed_recount
        signals.user_activity_changed.connect(receiver, dispatch_uid="users.follow_counts")
