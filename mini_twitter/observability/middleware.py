"""Request ids and the access log: one JSON line per request with its id, user, method, path,
status and duration."""

import logging
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.functional import SimpleLazyObject, empty

from .context import clean_request_id, request_id_var
from .logs import ACCESS_LOGGER

REQUEST_ID_HEADER = "X-Request-ID"

access_logger = logging.getLogger(ACCESS_LOGGER)


class RequestLogMiddleware:
    """Takes the request id from ``X-Request-ID`` (printable ASCII, at most 200 characters) or makes
    one, keeps it in a context variable for logs and tasks while the request runs, returns it in the
    response's ``X-Request-ID`` and logs the request once it is answered. Place it high, so that
    the answers of the middleware below it are logged too."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        started, token = self._begin(request)
        try:
            response = self.get_response(request)
            self._end(request, response, started)
            return response
        finally:
            request_id_var.reset(token)

    async def _acall(self, request):
        started, token = self._begin(request)
        try:
            response = await self.get_response(request)
            self._end(request, response, started)
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _begin(request):
        request.request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        return time.perf_counter(), request_id_var.set(request.request_id)

    @staticmethod
    def _end(request, response, started: float) -> None:
        response[REQUEST_ID_HEADER] = request.request_id
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        access_logger.info(
            "%s %s %s %.2f ms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "request_id": request.request_id,
                "user_id": user_id(request),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )


def user_id(request) -> int | None:
    """The authenticated user's id, without loading a user nobody asked for: DRF puts the user it
    authenticated (JWT, api key) on the Django request; the session's lazy user is read only if the
    view already evaluated it (evaluating it here could query the database inside the event loop)."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None
