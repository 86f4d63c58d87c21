"""URLs of the Mastodon client API, mounted at the site root (``/api/v1/``, ``/api/v2/``, ``/oauth/``,
``/.well-known/``, ``/nodeinfo/``)."""

urlpatterns: list = []
