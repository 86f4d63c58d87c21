"""Hashtag and mention parsing.

A hashtag is ``#`` followed by letters, digits or underscores (Unicode letters too), not preceded by
a letter, digit or underscore (``a#b`` is no tag). A mention is ``@username``, not preceded by a
word character or ``@`` (``me@example.com`` is no mention); usernames may contain ``.``, ``+``
and ``-`` inside but not at the end, so ``@bob.`` mentions ``bob``.
"""

import re

HASHTAG_MAX_LENGTH = 100
HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
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
