"""WSGI entry point (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mini_twitter.settings.production")

application = get_wsgi_application()

from mini_twitter.api.middleware import WSGIChunkedBody  # noqa: E402 - needs settings

# Chunked bodies are readable (Django reads none without a Content-Length) and capped.
application = WSGIChunkedBody(application)

from mini_twitter.checks import refuse_to_start_without_secret_key  # noqa: E402 - needs settings

refuse_to_start_without_secret_key()
