"""Row ids in URLs, bodies and query strings: positive 64-bit integers. A number past the database's
range is unknown (404 in a path, 400 in a body or filter), never an overflow."""

from functools import partial

from rest_framework import serializers

MAX_ID = 2**63 - 1
# Path segments: at most 18 digits always fit; a longer one matches no route and is a 404.
ID_PATTERN = r"[0-9]{1,18}"

IdField = partial(serializers.IntegerField, min_value=1, max_value=MAX_ID)


def parse_id(raw) -> int | None:
    """``raw`` as an id, or None if it is not one (not a number, not positive, out of range)."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= MAX_ID else None
