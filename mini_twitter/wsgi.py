"""WSGI entry point: gunicorn, the production HTTP server (docker-compose.yml's ``web``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mini_twitter.settings.production")

application = get_wsgi_application()

from mini_twitter.api.client_address import WSGIForwardedFor  # noqa: E402 - needs settings
from mini_twitter.api.middleware import WSGIChunkedBody  # noqa: E402 - needs settings

# Chunked bodies are readable (Django reads none without a Content-Length) and capped; the client's
# address comes from X-Forwarded-For only when a trusted proxy sent it (FORWARDED_ALLOW_IPS).
application = WSGIForwardedFor(WSGIChunkedBody(application))

from mini_twitter.checks import refuse_to_start_without_secret_key  # noqa: E402 - needs settings

refuse_to_start_without_secret_key()
