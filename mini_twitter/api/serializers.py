"""Serializer pieces every app's API shares: the error body and stored files' URLs."""

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


def absolute_url(url: str | None, *, request=None) -> str | None:
    """``url`` (a path) made absolute for ``request``; unchanged without a request; null stays null."""
    if not url or request is None:
        return url
    return request.build_absolute_uri(url)


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
