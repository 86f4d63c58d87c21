"""Serving a built single-page front end (``MICROBLOG_FRONTEND_DIR``) at the site root: its files
as they are, and ``index.html`` for every other path so client-side routes such as ``/login`` or
``/profile/3`` load the app. The API, admin, docs, media and health paths are never shadowed: they
are matched before this view, and it refuses them itself too."""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.utils._os import safe_join
from django.views.decorators.csrf import csrf_exempt

from mini_twitter.api.errors import method_not_allowed, not_found

# First path segments that belong to the back end: never the app shell, a JSON 404 instead.
RESERVED = {"api", "admin", "redoc", "media", "static", "healthz", "readyz", "metrics", "ws"}


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


def _reserved(path: str) -> bool:
    first = path.split("/", 1)[0]
    return first in RESERVED or first.startswith("swagger")


# Last in the URL list, so every path nothing else matched ends here: a file of the front end, its
# shell for a client-side route, or a JSON 404 (405 for a method other than GET and HEAD). It only
# reads files, so it needs no CSRF check.
@csrf_exempt
def frontend(request, path: str = ""):
    root = frontend_dir()
    if root is None or _reserved(path):
        return not_found(request)
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request, ("GET", "HEAD"))
    if path:
        try:
            candidate = Path(safe_join(root, path))
        except Exception:  # noqa: BLE001 - a path outside the folder is simply not a file of it
            return not_found(request)
        if candidate.is_file():
            # Built assets carry content hashes in their names; index.html must be revalidated.
            return _file(candidate, max_age=3600 if candidate.name != "index.html" else 0)
        if "." in path.rsplit("/", 1)[-1]:
            return not_found(request)  # a missing asset is a 404, not the app shell
    return _file(root / "index.html", max_age=0)
