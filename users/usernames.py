"""What a username may be: NFKC-normalised, word characters and ``.@+-_``, letters of one script
(Latin may mix with Chinese, Japanese or Korean), and not confusable with another user's name.

Confusability is decided by a *skeleton* in the manner of Unicode TS #39: the name is normalised,
each character replaced by the prototype of the characters that look like it, and then case folded,
so ``alice``, ``аlice`` (Cyrillic а), ``a1ice`` and ``ａｌｉｃｅ`` share one skeleton, as do ``paypal``,
``PAYPAL`` and ``paypaI`` (capital I); the same name in another case is refused by the username's
case-insensitive unique constraint. The skeleton is stored
in a unique column, so two look-alike names can't both be registered, even at the same instant. The
look-alike data is Unicode's confusables list as shipped by ``confusable-homoglyphs``.
"""

import functools
import json
import unicodedata
from pathlib import Path

import confusable_homoglyphs
from confusable_homoglyphs.categories import alias
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

USERNAME_MAX_LENGTH = 150
USERNAME_TAKEN = "A user with that username already exists."
MIXED_SCRIPTS = "A username uses letters of one script only (Latin may be combined with Chinese, Japanese or Korean)."

# Scripts that mix with any other (digits, punctuation, combining marks) and, after UTS #39's
# "highly restrictive" level, the combinations one language writes with.
NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED"})
ALLOWED_SCRIPT_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def normalize_username(value: str) -> str:
    """NFKC, as Django's ``AbstractBaseUser.normalize_username``: full-width and compatibility
    forms become their plain letters before anything is checked or stored."""
    return unicodedata.normalize("NFKC", value)


def username_scripts(value: str) -> set[str]:
    return {alias(char) for char in value} - NEUTRAL_SCRIPTS


def is_mixed_script(value: str) -> bool:
    scripts = username_scripts(value)
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in ALLOWED_SCRIPT_SETS)


def validate_username_characters(value: str) -> None:
    """Django's Unicode username characters, checked on the NFKC form that is stored."""
    normalized = normalize_username(value)
    UnicodeUsernameValidator()(normalized)
    if len(normalized) > USERNAME_MAX_LENGTH:
        # NFKC can lengthen a name (one ligature becomes several letters).
        raise ValidationError(f"A username has at most {USERNAME_MAX_LENGTH} characters.", code="max_length")


def validate_username_scripts(value: str) -> None:
    if is_mixed_script(normalize_username(value)):
        raise ValidationError(MIXED_SCRIPTS, code="mixed_scripts")


@deconstructible
class UsernameValidator:
    """The model field's rule (so the admin's forms follow it): the characters. The one-script
    and look-alike rules are ``User.clean``'s, checked on a new or changed name only, so that a
    name registered before them can be kept while the rest of its account is edited."""

    def __call__(self, value: str) -> None:
        validate_username_characters(value)

    def __eq__(self, other) -> bool:
        return isinstance(other, UsernameValidator)


@functools.cache
def _prototypes() -> dict[str, str]:
    """character → its prototype. The shipped data is an undirected graph of look-alikes: each
    component is a star around Unicode's prototype (the only member that can be several
    characters); a component of two single characters has no visible centre, and either member
    serves, so the choice only has to be stable."""
    path = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    raw = json.loads(path.read_text(encoding="utf-8"))

    def strip(text: str) -> str:
        # Right-to-left characters are wrapped in LEFT-TO-RIGHT MARKs for display.
        return text.replace("\u200e", "")

    graph = {strip(key): {strip(entry["c"]) for entry in entries} for key, entries in raw.items()}
    in_sequences = {char for key in graph if len(key) > 1 for char in key}
    prototypes: dict[str, str] = {}
    done: set[str] = set()
    for node, neighbours in graph.items():
        if node in done:
            continue
        centre_first = max((node, *neighbours), key=lambda member: len(graph.get(member, ())))
        component = {centre_first, *graph[centre_first]}
        done |= component
        centres = [member for member in component if len(graph.get(member, ())) == len(component) - 1]
        if len(component) > 2:
            centre = centres[0]
        else:
            centre = min(component, key=lambda m: (len(m) == 1, m not in in_sequences, not m.isascii(), m))
        for member in component:
            if len(member) == 1:
                prototypes[member] = centre
    return prototypes


def _map(text: str) -> str:
    prototypes = _prototypes()
    out = []
    for char in text:
        replacement = prototypes.get(char, char)
        # A prototype of several characters is itself made of prototypes: map it again, so that a
        # look-alike and the sequence it imitates (``m`` and ``rn``) end up equal.
        if len(replacement) > 1:
            replacement = "".join(prototypes.get(c, c) for c in replacement)
        out.append(replacement)
    return "".join(out)


def username_skeleton(value: str) -> str:
    """The form two usernames share when a reader could take one for the other."""
    # Look-alikes are mapped before case is folded: a capital ``I`` looks like ``l`` (and ``1``),
    # while its lower case ``i`` does not, so folding first would let ``paypaI`` stand beside
    # ``paypal``. Case is folded then, as ``PAYPAL`` looks like ``paypal`` too (the same name in
    # another case is refused by the case-insensitive unique constraint anyway), and the folded
    # text mapped again, until nothing changes: a prototype may be a capital (``0`` → ``O``).
    text = unicodedata.normalize("NFD", normalize_username(value))
    for _ in range(4):
        mapped = unicodedata.normalize("NFD", unicodedata.normalize("NFD", _map(text)).casefold())
        if mapped == text:
            break
        text = mapped
    return text
