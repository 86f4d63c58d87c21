"""ASGI entry point: HTTP (Django) and WebSockets (Channels) in one application."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mini_twitter.settings.production")

# Django first: the consumers import models.
django_application = get_asgi_application()

from mini_twitter.checks import refuse_to_start_without_secret_key  # noqa: E402

refuse_to_start_without_secret_key()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from mini_twitter.api.middleware import ASGIBodyLimit  # noqa: E402
from mini_twitter.routing import http_urlpatterns, websocket_urlpatterns  # noqa: E402

# No origin check: sockets authenticate with a token in their first frame, not with cookies, so a
# cross-site page gains nothing by opening one.
# Bodies are counted before Django reads them: it would spool a body of any size first.
# The streaming paths of ``http_urlpatterns`` are consumers; everything else is Django.
application = ProtocolTypeRouter(
    {
        "http": URLRouter([*http_urlpatterns, re_path(r"", ASGIBodyLimit(django_application))]),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
