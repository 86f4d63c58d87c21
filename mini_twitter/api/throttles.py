"""Throttles whose rates come from settings at request time (``THROTTLE_RATE_ANON``/``_USER``).

- every request: per client address when anonymous, per user when authenticated;
- writes (POST, PUT, PATCH, DELETE): also a stricter rate per user and per client address
  (``THROTTLE_WRITE_DIVISOR``), so one account or one address can't flood the service;
- login, registration and password reset: a stricter "sensitive" rate per client address, and the
  same rate per account named in the body, so neither many addresses guessing one account nor one
  address guessing many accounts gets far. Each view names the body fields it looks accounts up by
  (``sensitive_throttles("email")``); every one of them is counted, and no other field is.

Client addresses are :func:`~mini_twitter.api.client_address.client_address`, never a header the
client sent.
"""

import functools
import hashlib
import unicodedata

from django.conf import settings
from rest_framework import exceptions, throttling

from .client_address import client_address
from .errors import error_response


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
    """Per account: the value of one body field (``field``, set by :func:`sensitive_throttles`),
    normalised as the account lookup compares it, so no spelling of one account escapes the count."""

    scope = "sensitive_account"
    field = ""

    def get_cache_key(self, request, view):
        # A DRF request's parsed body, or a plain Django form post (the admin's login).
        data = request.data if hasattr(request, "data") else request.POST
        value = data.get(self.field) if hasattr(data, "get") else None
        name = account_name(value)
        if not name:
            return None  # nothing to key on: the per-address throttle still applies
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": f"{self.field}:{digest}"}


def account_name(value) -> str:
    """The form of a username or email that the account lookups compare: usernames are NFKC
    normalised (registration, and the admin's login form, so full-width ``ｓｔａｆｆ`` is ``staff``),
    fields trim surrounding whitespace, and ``__iexact`` compares ``UPPER()`` of both sides."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip().upper()


def sensitive_throttles(*account_fields: str) -> list[type[throttling.BaseThrottle]]:
    """The throttles of an endpoint that checks credentials or sends email: per client address,
    and per account for each body field the endpoint looks accounts up by."""
    per_account = [
        type(f"SensitiveAccountThrottle_{field}", (SensitiveAccountThrottle,), {"field": field})
        for field in account_fields
    ]
    return [SensitiveThrottle, *per_account]


class FailedAuthenticationThrottle(SensitiveThrottle):
    """Failed credential checks per client address (at the sensitive rate). Authentication runs
    before the views' throttles, so an authentication class calls this itself: ``refuse_if_over``
    before looking a credential up (a throttled address costs no lookup), ``record`` after a miss."""

    scope = "auth_failure"

    def refuse_if_over(self, request) -> None:
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            raise exceptions.Throttled(self.wait())

    def record(self) -> None:
        self.throttle_success()


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


def throttled_view(throttle_classes, methods=("POST",)):
    """Throttle a plain Django view (the admin's login) with the API's throttle classes: the same
    counts, and the same refusal as DRF's (429, ``Retry-After``, a JSON body)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                throttles = [throttle_class() for throttle_class in throttle_classes]
                # Every throttle counts the request, as DRF's check_throttles does.
                waits = [throttle.wait() for throttle in throttles if not throttle.allow_request(request, view)]
                if waits:
                    exc = exceptions.Throttled(max((wait for wait in waits if wait is not None), default=None))
                    response = error_response(request, 429, str(exc.detail))
                    if exc.wait:
                        response["Retry-After"] = str(int(exc.wait))  # as DRF writes it
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
