"""The one rule for user-written text fields checked by services (posts, messages, room titles):
trimmed, not empty, at most ``max_length`` Unicode characters, no NUL characters."""

from django.core.exceptions import ValidationError


def clean_text(value: str | None, *, field: str, noun: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [f"A {noun} cannot be empty."]})
    if len(text) > max_length:
        raise ValidationError({field: [f"A {noun} has at most {max_length} characters (this one has {len(text)})."]})
    if "\x00" in text:
        raise ValidationError({field: ["Null characters are not allowed."]})
    return text
