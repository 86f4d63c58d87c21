"""Throttles whose rates come from settings at request time (``THROTTLE_RATE_ANON``/``_USER``).

- every request: per client address when anonymous, per user when authenticated;
- writes (POST, PUT, PATCH, DELETE): also a stricter rate per user and per client address
  (``THROTTLE_WRITE_DIVISOR``), so one account or one address can't flood the service;
- login, registration and password reset: a stricter "sensitive" rate per client address, and the
  same rate per account named in the body (username or email), so neither many addresses guessing
  one account nor one address guessing many accounts gets far.

Client addresses are :func:`~mini_twitter.api.client_address.client_address`, never a header the
client sent.
"""

import hashlib

from django.conf import settings
from rest_framework import throttling

from .client_address import client_address


def scaled_rate(rate: str, divisor: int) -> str:
    num, period = rate.split("/")
    return f"{max(1, int(num) // max(1, divisor))}/{period}"


class _SettingsRateMixin:
    def get_rate(self):
        return self.rate_from_settings()

    def get_ident(self, request):
        return client_address(request)

    def rate_from_settings(self) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError


class AnonThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    def rate_from_settings(self):
        return settings.THROTTLE_RATE_ANON


class UserThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    """Authenticated requests only: anonymous ones have ``AnonThrottle`` (DRF's UserRateThrottle
    would also count them by address at the user rate, capping them at the smaller of the two)."""

    def rate_from_settings(self):
        return settings.THROTTLE_RATE_USER

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class SensitiveThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Per client address, for endpoints that guess at credentials or send email."""

    scope = "sensitive"

    def rate_from_settings(self):
        return scaled_rate(settings.THROTTLE_RATE_ANON, settings.THROTTLE_SENSITIVE_DIVISOR)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SensitiveAccountThrottle(SensitiveThrottle):
    """Per account named in the request body (login's ``username``, reset's ``email``)."""

    scope = "sensitive_account"
    fields = ("username", "email")

    def get_cache_key(self, request, view):
        data = request.data if hasattr(request.data, "get") else {}
        name = next((str(data.get(field)) for field in self.fields if data.get(field)), None)
        if not name:
            return None  # nothing to key on: the per-address throttle still applies
        digest = hashlib.sha256(name.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


class _WriteThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)

    def rate_from_settings(self):
        return scaled_rate(settings.THROTTLE_RATE_USER, settings.THROTTLE_WRITE_DIVISOR)


class UserWriteThrottle(_WriteThrottle):
    scope = "write_user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AddressWriteThrottle(_WriteThrottle):
    scope = "write_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


SENSITIVE_THROTTLES = [SensitiveThrottle, SensitiveAccountThrottle]
