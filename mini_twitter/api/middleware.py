"""Request limits: a body larger than the biggest accepted upload is refused with 413 (one announced
larger before any of it is read, a chunked one as soon as it grows past the limit), an overlong
query string with 414, and a NUL character in the path or the query string with 400.

Django's ASGI handler reads a whole body before any middleware runs, and its WSGI request reads no
body without a ``Content-Length``: :class:`ASGIBodyLimit` and :class:`WSGIChunkedBody` wrap the
servers' entry points (``asgi.py``, ``wsgi.py``) to count the body as it arrives and hand Django its
length; the refusal itself is always :class:`BodySizeLimitMiddleware`'s."""

import asyncio
import io
import tempfile

from django.conf import settings

from .errors import bad_request, error_response


class JsonBadRequestMiddleware:
    """With ``DEBUG`` on, Django answers a ``SuspiciousOperation`` (a disallowed host, a path out
    of the media folder, too many form fields) with its HTML debug page instead of ``handler400``:
    such an answer becomes the JSON 400, so a 400 looks the same whatever ``DEBUG`` says. DRF's
    answers are left as they are (they are already in the format the client asked for)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not hasattr(response, "accepted_renderer")
        ):
            return bad_request(request)
        return response


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, 400, "Invalid Content-Length header.")
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return error_response(request, 413, "The request body is too large.")
        if len(request.META.get("QUERY_STRING", "")) > settings.MAX_QUERY_STRING_LENGTH:
            return error_response(request, 414, "The query string is too long.")
        return self.get_response(request)


class NulCharacterMiddleware:
    """PostgreSQL text can't hold a NUL character, so a path or query parameter carrying one would
    fail deep in a query: it is refused here, once for every endpoint."""

    MESSAGE = "NUL characters are not allowed in the path or query string."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        # Only "%00" decodes to NUL in a query string ("+" and the other escapes can't).
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            return error_response(request, 400, self.MESSAGE)
        return self.get_response(request)


def _declared_length(headers) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the Django middleware answers 400 for it
    return None


class ASGIBodyLimit:
    """ASGI middleware in front of Django: passes at most ``MAX_REQUEST_BODY_BYTES`` of a body on.

    A body announced or grown larger ends there (the rest is never read): Django is told the body
    is over, with a ``Content-Length`` of what arrived, so :class:`BodySizeLimitMiddleware` answers
    413 and the connection is closed after it. A chunked body that fits gets its ``Content-Length``
    once complete (Django and DRF read nothing without one)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.MAX_REQUEST_BODY_BYTES
        scope = dict(scope)  # Django builds its request from this copy once the body is read
        declared = _declared_length(scope.get("headers", []))
        received = 0
        body_over = False
        cut = False

        def set_length(length: int) -> None:
            headers = [(n, v) for n, v in scope.get("headers", []) if n.lower() != b"content-length"]
            scope["headers"] = [*headers, (b"content-length", str(length).encode())]

        async def limited_receive():
            nonlocal received, body_over, cut
            if body_over:
                if cut:
                    # The rest of a refused body is not read; Django cancels this wait when done.
                    await asyncio.get_running_loop().create_future()
                return await receive()
            if declared is not None and declared > limit:
                body_over = cut = True
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] != "http.request":
                return message
            received += len(message.get("body", b""))
            if received > limit:
                body_over = cut = True
                set_length(received)
                return {"type": "http.request", "body": b"", "more_body": False}
            if not message.get("more_body", False):
                body_over = True
                if declared is None:
                    set_length(received)
            return message

        async def closing_send(message):
            if cut and message["type"] == "http.response.start":
                # The client may still be sending the refused body: don't wait for it.
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, limited_receive, closing_send)


class WSGIChunkedBody:
    """WSGI middleware: a chunked body (no ``Content-Length``) that the server has decoded
    (``wsgi.input_terminated``, as gunicorn does) is read here, up to just past the limit, and
    handed to Django with its length; past the limit, Django sees only that length and refuses it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if (
            not environ.get("CONTENT_LENGTH")
            and environ.get("wsgi.input_terminated")
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            self.buffer_body(environ)
        return self.app(environ, start_response)

    @staticmethod
    def buffer_body(environ) -> None:
        limit = settings.MAX_REQUEST_BODY_BYTES
        stream = environ["wsgi.input"]
        # Handed to Django as its input: freed with the request (CPython closes it on release).
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        received = 0
        while received <= limit:
            chunk = stream.read(min(64 * 1024, limit + 1 - received))
            if not chunk:
                break
            received += len(chunk)
            body.write(chunk)
        if received > limit:
            body.close()
            body = io.BytesIO()
        body.seek(0)
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(received)
