"""The current request id: set for each HTTP request by the middleware and for each Celery task
from its message headers; read by the log filter, the task publisher and Sentry."""

import uuid
from contextvars import ContextVar

MAX_REQUEST_ID_LENGTH = 200

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def get_request_id() -> str | None:
    return request_id_var.get()


def clean_request_id(value: str | None) -> str:
    """The client's id when it is printable ASCII of at most 200 characters, else a new one."""
    value = (value or "").strip()
    if value and len(value) <= MAX_REQUEST_ID_LENGTH and value.isascii() and value.isprintable():
        return value
    return uuid.uuid4().hex
