"""The microblog API's answers: ``{"result": true, ...}`` on success and
``{"result": false, "error_type", "error_message"}`` with a 4xx status on any failure."""

from rest_framework import exceptions, status
from rest_framework.response import Response

from mini_twitter.api.exceptions import PayloadTooLarge, ServiceUnavailable, add_retry_after, to_drf_exception

ERROR_TYPES = [
    (exceptions.NotAuthenticated, "Unauthorized"),
    (exceptions.AuthenticationFailed, "Unauthorized"),
    (exceptions.PermissionDenied, "Forbidden"),
    (exceptions.NotFound, "NotFound"),
    (exceptions.MethodNotAllowed, "MethodNotAllowed"),
    (exceptions.UnsupportedMediaType, "UnsupportedMediaType"),
    (exceptions.Throttled, "TooManyRequests"),
    (exceptions.ParseError, "BadRequest"),
    (PayloadTooLarge, "PayloadTooLarge"),
    (ServiceUnavailable, "ServiceUnavailable"),
    (exceptions.ValidationError, "ValidationError"),
]


def ok(status_code: int = status.HTTP_200_OK, **data) -> Response:
    return Response({"result": True, **data}, status=status_code)


def _message(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(
            f"{field}: {_message(value)}" if field != "non_field_errors" else _message(value)
            for field, value in detail.items()
        )
    if isinstance(detail, list):
        return " ".join(_message(item) for item in detail)
    return str(detail)


def error(exc: exceptions.APIException) -> Response:
    error_type = next((name for cls, name in ERROR_TYPES if isinstance(exc, cls)), "BadRequest")
    # Field errors of a well-formed body are "unprocessable"; other rule breaks are plain 400s.
    code = status.HTTP_422_UNPROCESSABLE_ENTITY if isinstance(exc, exceptions.ValidationError) else exc.status_code
    response = Response({"result": False, "error_type": error_type, "error_message": _message(exc.detail)}, status=code)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(int(exc.wait) + 1)
    add_retry_after(response, exc)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response["WWW-Authenticate"] = "api-key"
    return response


def exception_handler(exc, context):
    exc = to_drf_exception(exc)
    if isinstance(exc, exceptions.APIException):
        return error(exc)
    return None
