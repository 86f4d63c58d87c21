"""One exception handler for the whole API.

Services raise Django's ``ValidationError``/``PermissionDenied``/``Http404`` or a :class:`DomainError`;
this maps them to DRF's standard error bodies, so views never translate errors themselves.
"""

import logging

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class DomainError(exceptions.APIException):
    """A rule of the service was broken; ``status_code`` says how (400 by default)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request breaks a rule of the service."
    default_code = "invalid"


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    """The database could not be reached: the request failed cleanly and may be retried."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."
    default_code = "unavailable"
    retry_after = 5  # seconds


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def to_drf_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, (TooManyFieldsSent, SuspiciousOperation)):
        return exceptions.ParseError(str(exc) or None)
    if isinstance(exc, (RecursionError, UnicodeDecodeError)):
        return exceptions.ParseError("The request body could not be parsed.")
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        return ServiceUnavailable()
    return exc


def add_retry_after(response, exc) -> None:
    """A 503 tells the client when to try again (both APIs' handlers call this)."""
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(ServiceUnavailable.retry_after)


def exception_handler(exc, context):
    exc = to_drf_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is not None:
        add_retry_after(response, exc)
    return response
