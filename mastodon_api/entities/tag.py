"""Mastodon's Tag, as a status names it."""

from .common import tag_url


def status_tag_entity(name: str, *, request) -> dict:
    return {"name": name, "url": tag_url(name, request=request)}
