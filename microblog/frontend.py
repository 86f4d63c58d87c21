"""Serving a built single-page front end (``MICROBLOG_FRONTEND_DIR``) at the site root: its files
as they are, and ``index.html`` for every other path so client-side routes such as ``/login`` or
``/profile/3`` load the app. The API, admin, docs, media and health paths are never shadowed: they
are matched before this view, and it refuses them itself too."""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.utils._os import safe_join
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt

RESERVED_PREFIXES = ("api/", "admin/", "swagger", "redoc", "media/", "static/", "healthz", "readyz", "metrics", "ws/")


def frontend_dir() -> Path | None:
    root = settings.MICROBLOG_FRONTEND_DIR
    if not root:
        return None
    path = Path(root)
    return path if (path / "index.html").is_file() else None


def _file(path: Path, *, max_age: int) -> FileResponse:
    content_type, encoding = mimetypes.guess_type(path.name)
    response = FileResponse(path.open("rb"), content_type=content_type or "application/octet-stream")
    if encoding:
        response["Content-Encoding"] = encoding
    response["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-cache"
    return response


# Exempt from CSRF: it only reads files, and a POST to an unknown path (an API path that matched
# nothing, say) must get this view's JSON 404 or 405, not the CSRF failure page.
@csrf_exempt
@cache_control()
def frontend(request, path: str = ""):
    root = frontend_dir()
    if root is None or path.startswith(RESERVED_PREFIXES):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if path:
        try:
            candidate = Path(safe_join(root, path))
        except Exception:  # noqa: BLE001 - a path outside the folder is simply not a file of it
            raise Http404 from None
        if candidate.is_file():
            # Built assets carry content hashes in their names; index.html must be revalidated.
            return _file(candidate, max_age=3600 if candidate.name != "index.html" else 0)
        if "." in path.rsplit("/", 1)[-1]:
            raise Http404  # a missing asset is a 404, not the app shell
    return _file(root / "index.html", max_age=0)
