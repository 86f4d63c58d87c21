"""Absolute file URLs in pushed frames. Frames are serialized once, in the process that stores the
event (often a Celery worker), without a request, so their file URLs (avatars) are relative; each
socket makes them absolute for its own site, as the REST API does with its request's host and
scheme (``USE_X_FORWARDED_HOST`` and ``SECURE_PROXY_SSL_HEADER`` honoured the same way)."""

from django.conf import settings

URL_KEYS = frozenset({"avatar", "url", "thumbnail_url"})


def site_url(scope: dict) -> str:
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    host = headers.get("host", "")
    if settings.USE_X_FORWARDED_HOST and headers.get("x-forwarded-host"):
        host = headers["x-forwarded-host"].split(",")[0].strip()
    if not host and scope.get("server"):
        host = "{}:{}".format(*scope["server"])
    secure = scope.get("scheme") in ("wss", "https")
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, expected = proxy_header
        header = name.removeprefix("HTTP_").replace("_", "-").lower()
        secure = secure or headers.get(header, "").split(",")[0].strip() == expected
    return f"{'https' if secure else 'http'}://{host or 'localhost'}"


def absolute_urls(value, base: str):
    """``value`` with every relative URL under a file URL key made absolute on ``base``."""
    if isinstance(value, dict):
        return {
            key: base + item
            if key in URL_KEYS and isinstance(item, str) and item.startswith("/") and not item.startswith("//")
            else absolute_urls(item, base)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [absolute_urls(item, base) for item in value]
    return value
