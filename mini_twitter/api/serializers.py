"""Serializer pieces every app's API shares: the error body and stored files' URLs."""

import re

from rest_framework import serializers


class DetailSerializer(serializers.Serializer):
    """An error (or a short confirmation): ``{"detail": "message"}``."""

    detail = serializers.CharField()

    class Meta:
        ref_name = "Detail"


def file_url(name: str | None, *, storage, request=None) -> str | None:
    """The URL of the file ``name`` in ``storage``: absolute when the request is known, as clients
    load it; relative without one (what cached representations keep); null when there is no file."""
    if not name:
        return None
    return absolute_url(storage.url(name), request=request)


# A path that ``build_absolute_uri`` would only prefix with the site: nothing to resolve or quote.
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9\-._~/#%\[\]=:;$&()+,!?*@']*")


def absolute_url(url: str | None, *, request=None) -> str | None:
    """``url`` (a path) made absolute for ``request``; unchanged without a request; null stays null.
    Plain paths take the request's site, found once per request (a page of entities has hundreds)."""
    if not url or request is None:
        return url
    if _PLAIN_PATH.fullmatch(url) and "/./" not in url and "/../" not in url:
        return site_of(request) + url
    return request.build_absolute_uri(url)


def site_of(request) -> str:
    """The request's site (``https://host``, no trailing slash), found once per request: a plain
    path (no dot segments, nothing to quote) is made absolute by prefixing it."""
    site = getattr(request, "_absolute_site", None)
    if site is None:
        site = request._absolute_site = request.build_absolute_uri("/")[:-1]
    return site


class AbsoluteFileUrlField(serializers.Field):
    """A stored file's URL (see :func:`file_url`); null when there is no file."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        try:
            return super().get_attribute(instance)
        except (AttributeError, ValueError):
            return None

    def to_representation(self, value):
        if not value:
            return None
        return file_url(value.name, storage=value.storage, request=self.context.get("request"))
