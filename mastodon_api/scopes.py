"""Mastodon's OAuth scopes: which scopes a token's grant covers.

A broad scope grants its granular forms (``read`` grants ``read:statuses``), and the legacy ``follow``
scope grants the relationship scopes, as Mastodon does."""

FOLLOW_GRANTS = frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"})


def scope_granted(granted: set[str] | frozenset[str], required: str) -> bool:
    """Does a token holding ``granted`` satisfy ``required`` (``read``, ``write:statuses``, ...)?"""
    if required in granted:
        return True
    broad = required.split(":", 1)[0]
    if broad != required and broad in granted:
        return True
    return "follow" in granted and required in FOLLOW_GRANTS


def scopes_granted(granted: set[str] | frozenset[str], required: tuple[str, ...]) -> bool:
    """Any one of ``required`` is enough (Mastodon lists alternatives: ``read``, ``read:statuses``)."""
    return any(scope_granted(granted, scope) for scope in required)
