"""Throttles whose rates come from settings at request time (``THROTTLE_RATE_ANON``/``_USER``).

Login, registration and password reset use a stricter "sensitive" rate derived from the anonymous
rate, keyed by client address, whether or not the caller is authenticated.
"""

from django.conf import settings
from rest_framework import throttling


def scaled_rate(rate: str, divisor: int) -> str:
    num, period = rate.split("/")
    return f"{max(1, int(num) // max(1, divisor))}/{period}"


class _SettingsRateMixin:
    def get_rate(self):
        return self.rate_from_settings()

    def rate_from_settings(self) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError


class AnonThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    def rate_from_settings(self):
        return settings.THROTTLE_RATE_ANON


class UserThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    def rate_from_settings(self):
        return settings.THROTTLE_RATE_USER


class SensitiveThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Per client address, for endpoints that guess at credentials or send email."""

    scope = "sensitive"

    def rate_from_settings(self):
        return scaled_rate(settings.THROTTLE_RATE_ANON, settings.THROTTLE_SENSITIVE_DIVISOR)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


SENSITIVE_THROTTLES = [SensitiveThrottle]
