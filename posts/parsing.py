"""Hashtag and mention parsing.

A hashtag is ``#`` followed by letters, digits or underscores (Unicode letters too), not preceded by
a letter or digit (``a#b`` is no tag; ``_#b``, ``(#b)`` and ``##b`` tag ``b``). A mention is
``@username``, not preceded by a word character or ``@`` (``me@example.com`` is no mention);
usernames may contain ``.``, ``+`` and ``-`` inside but not at the end, so ``@bob.`` mentions
``bob``.
"""

import re

HASHTAG_MAX_LENGTH = 100
# Not after a letter or digit: ``[^\W_]`` is a word character other than the underscore.
HASHTAG_RE = re.compile(r"(?<![^\W_])#(\w+)")
MENTION_RE = re.compile(r"(?<![\w@])@([\w.+-]*\w)")


def extract_hashtags(text: str) -> list[str]:
    """Lower-cased hashtag names in order of first appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text):
        name = match.group(1).lower()[:HASHTAG_MAX_LENGTH]
        seen.setdefault(name, None)
    return list(seen)


def extract_mentions(text: str) -> list[str]:
    """Mentioned usernames (lower-cased) in order of first appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)
