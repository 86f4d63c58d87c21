"""The one rule for user-written text fields checked by services (posts, messages, names, titles):
trimmed, not empty, at most ``max_length`` Unicode characters, no NUL characters; single-line
fields (names, titles, locations) take no control characters or line breaks at all, since they end
up in email subjects, notification texts and one-line layouts."""

import unicodedata

from django.core.exceptions import ValidationError

# C0 and C1 controls (CR, LF, tab, escape...) and the Unicode line and paragraph separators.
LINE_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
SINGLE_LINE_MESSAGE = "Control characters and line breaks are not allowed."


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) in LINE_BREAKING_CATEGORIES for char in text)


def clean_text(
    value: str | None,
    *,
    field: str,
    noun: str,
    max_length: int,
    single_line: bool = False,
    allow_empty: bool = False,
) -> str:
    text = (value or "").strip()
    if not text:
        if allow_empty:
            return ""
        raise ValidationError({field: [f"A {noun} cannot be empty."]})
    if len(text) > max_length:
        raise ValidationError({field: [f"A {noun} has at most {max_length} characters (this one has {len(text)})."]})
    if "\x00" in text:
        raise ValidationError({field: ["Null characters are not allowed."]})
    if single_line and has_control_characters(text):
        raise ValidationError({field: [SINGLE_LINE_MESSAGE]})
    return text


def validate_single_line(value: str) -> None:
    """The single-line rule as a field validator, for model forms (the admin) that bypass services."""
    if has_control_characters(value or ""):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def one_line(text: str) -> str:
    """``text`` with control characters and line breaks turned into single spaces: for what goes
    into a header (an email subject) from names stored before the single-line rule."""
    return " ".join("".join(" " if has_control_characters(char) else char for char in text).split())
