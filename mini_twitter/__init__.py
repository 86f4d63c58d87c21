"""The mini_twitter project package: settings, URLs, Celery app and shared API pieces."""

from .celery import app as celery_app

__all__ = ("celery_app",)
