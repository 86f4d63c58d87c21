"""Log formatting: records logged during a request or a task carry its ``request_id``;
``JsonFormatter`` writes one JSON object per line (production), ``PlainFormatter`` readable text."""

import logging

from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from .context import get_request_id

ACCESS_LOGGER = "mini_twitter.access"


class RequestIdFilter(logging.Filter):
    """Adds the current ``request_id`` to the records it sees. Attach it to handlers (a logger's
    filters do not see the records its children propagate)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = get_request_id()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class JsonFormatter(BaseJsonFormatter):
    """``{"timestamp", "level", "logger", "message", "request_id" (or null), ...extra fields}``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)


class PlainFormatter(logging.Formatter):
    """``time level logger [request id] message``, ``-`` when there is no request id."""

    def __init__(self, fmt=None, datefmt=None, style="%", validate=True, *, defaults=None):
        super().__init__(
            fmt or "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            datefmt,
            style,
            validate,
            defaults={"request_id": "-", **(defaults or {})},
        )
