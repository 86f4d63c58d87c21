"""Production refuses to start without ``SECRET_KEY`` when ``DEBUG`` is off: the ASGI/WSGI
applications (and so ``runserver``) and Celery workers and beat call a guard on start, and
``manage.py check --deploy`` reports it. Other management commands run on the development key."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

MESSAGE = "SECRET_KEY must be set when DEBUG is off."


def secret_key_missing_in_production() -> bool:
    return settings.SECRET_KEY_MISSING and not settings.DEBUG


@register(deploy=True)
def secret_key_check(app_configs, **kwargs):
    if secret_key_missing_in_production():
        return [Error(MESSAGE, hint="Set the SECRET_KEY environment variable.", id="mini_twitter.E001")]
    return []


def refuse_to_start_without_secret_key() -> None:
    if secret_key_missing_in_production():
        raise ImproperlyConfigured(MESSAGE)
