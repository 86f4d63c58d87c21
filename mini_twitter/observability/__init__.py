"""Operations: Prometheus metrics, request ids and JSON logs, Celery task signals and Sentry.

Modules here import no Django models, so the Celery app and the settings can load them early.
"""
