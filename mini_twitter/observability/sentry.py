"""Error tracking with Sentry, on only when ``SENTRY_DSN`` is set (see the settings).

No personal data by default: no user details or client addresses (``send_default_pii=False``), no
request bodies and no local variables of stack frames (they hold emails, posts, messages). Events
are tagged with the request id, so that they can be matched with the log lines.
"""

from .context import get_request_id


def init_sentry(*, dsn: str, environment: str = "", release: str = "", traces_sample_rate: float = 0.0) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        environment=environment or None,
        release=release or None,
        before_send=add_request_id,
    )


def add_request_id(event, hint):
    request_id = get_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
