"""URLs of the messaging app, mounted at ``/api/messages/``."""

urlpatterns: list = []
