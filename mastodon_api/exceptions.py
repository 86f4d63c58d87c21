"""Mastodon's error bodies: ``{"error": "..."}``, with 422 for invalid input ("Validation failed: ...")
and the same status codes and ``Retry-After`` as the native API otherwise."""

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from mini_twitter.api.exceptions import add_retry_after, to_drf_exception

MESSAGES = {
    401: "The access token is invalid",
    404: "Record not found",
    429: "Too many requests",
}


def flatten(detail) -> list[str]:
    """Every message of a DRF error detail (nested dicts and lists), with the field it is about."""
    if isinstance(detail, dict):
        messages = []
        for field, value in detail.items():
            prefix = "" if field in ("non_field_errors", "detail") else f"{field.replace('_', ' ').capitalize()} "
            messages += [prefix + message for message in flatten(value)]
        return messages
    if isinstance(detail, list):
        return [message for item in detail for message in flatten(item)]
    return [str(detail)]


def error_message(exc: exceptions.APIException, status: int) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "Validation failed: " + ", ".join(flatten(exc.detail))
    if isinstance(exc, (exceptions.NotFound, exceptions.NotAuthenticated, exceptions.Throttled)):
        return MESSAGES[status]
    return " ".join(flatten(exc.detail))


def mastodon_exception_handler(exc, context):
    exc = to_drf_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.status_code = 422
    response.data = {"error": error_message(exc, response.status_code)}
    add_retry_after(response, exc)
    return response
