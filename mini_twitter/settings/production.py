"""Production settings (the Docker image, so the compose stack, runs on them): the shared settings
with HTTPS enforced and the static files ``collectstatic`` wrote, unless ``DEBUG`` is on.

Without ``SECRET_KEY`` and with ``DEBUG`` off, the web server, workers and beat refuse to start and
``manage.py check --deploy`` fails (mini_twitter/checks.py)."""

from pathlib import Path

from mini_twitter.settings.base import *  # noqa: F403
from mini_twitter.settings.base import DEBUG, STATIC_ROOT, STORAGES, env_bool, env_int

# Static files (admin, Swagger UI) are served by WhiteNoise, compressed and with hashed names, once
# `collectstatic` has run (the image and the compose setup run it); until then straight from the apps
# under their own names (mini_twitter/storage.py).
STATIC_COLLECTED = not DEBUG and (Path(STATIC_ROOT) / "staticfiles.json").is_file()
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED

if not DEBUG:
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "mini_twitter.storage.StaticFilesStorage"}}
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # No SECURE_PROXY_SSL_HEADER: the ASGI server takes the scheme from X-Forwarded-Proto only when
    # the trusted proxy sent it (FORWARDED_ALLOW_IPS), so a client talking to the server directly
    # can't claim https.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
