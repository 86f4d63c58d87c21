"""URLs of the notifications app, mounted at ``/api/notifications/``."""

urlpatterns: list = []
