"""Text as Mastodon renders it in ``content`` and ``note``: HTML-escaped, paragraphs in ``<p>`` (split
on blank lines), ``<br />`` for single line breaks, mentions of known accounts, hashtags and web
addresses linked with Mastodon's markup. Mentions and hashtags are found by the native parsing rule
(:mod:`posts.parsing`), so a link appears exactly where the post has a mention or a hashtag."""

import re
from collections.abc import Callable, Iterable
from html import escape

from posts.parsing import HASHTAG_RE, MENTION_RE

# Web addresses: http(s) followed by anything up to whitespace or markup; trailing punctuation is
# left out (a sentence ending with a link).
URL_RE = re.compile(r"https?://[^\s<>\"']+")
URL_TRAILING = ".,;:!?)]}'\""
PARAGRAPH_RE = re.compile(r"\n\s*\n")


def _mention_html(username: str, url: str) -> str:
    return (
        f'<span class="h-card" translate="no"><a href="{escape(url)}" class="u-url mention">'
        f"@<span>{escape(username)}</span></a></span>"
    )


def _hashtag_html(name: str, url: str) -> str:
    return f'<a href="{escape(url)}" class="mention hashtag" rel="tag">#<span>{escape(name)}</span></a>'


def _url_html(url: str) -> str:
    scheme, _, rest = url.partition("://")
    prefix = f"{scheme}://"
    if rest.startswith("www."):
        prefix, rest = prefix + "www.", rest[4:]
    shown, hidden = (rest[:30], rest[30:]) if len(rest) > 30 else (rest, "")
    return (
        f'<a href="{escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
        f'<span class="invisible">{escape(prefix)}</span>'
        f'<span class="{"ellipsis" if hidden else ""}">{escape(shown)}</span>'
        f'<span class="invisible">{escape(hidden)}</span></a>'
    )


def _tokens(text: str, mentioned: dict[str, str], tag_url: Callable[[str], str]) -> list[tuple[int, int, str]]:
    """(start, end, html) of every linked span, in order, never overlapping (a web address wins
    over a ``#fragment`` or ``@name`` inside it)."""
    spans: list[tuple[int, int, str]] = []
    for match in URL_RE.finditer(text):
        url = match.group(0).rstrip(URL_TRAILING)
        spans.append((match.start(), match.start() + len(url), _url_html(url)))

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for match in MENTION_RE.finditer(text):
        username = match.group(1)
        url = mentioned.get(username.lower())
        if url and free(match.start(), match.end()):
            spans.append((match.start(), match.end(), _mention_html(username, url)))
    for match in HASHTAG_RE.finditer(text):
        if free(match.start(), match.end()):
            spans.append((match.start(), match.end(), _hashtag_html(match.group(1), tag_url(match.group(1)))))
    return sorted(spans)


def _inline(text: str, spans: list[tuple[int, int, str]], offset: int) -> str:
    out, position = [], 0
    for start, end, html in spans:
        start, end = start - offset, end - offset
        if start < 0 or end > len(text):
            continue
        out.append(escape(text[position:start], quote=False))
        out.append(html)
        position = end
    out.append(escape(text[position:], quote=False))
    return "<br />".join("".join(out).split("\n"))


def render_html(
    text: str,
    *,
    mentions: Iterable[tuple[str, str]] = (),
    tag_url: Callable[[str], str],
) -> str:
    """``text`` as Mastodon's HTML. ``mentions``: (username, account URL) of the accounts the text
    mentions (an ``@name`` of no known account stays text); ``tag_url(name)``: a hashtag's URL."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return ""
    mentioned = {username.lower(): url for username, url in mentions}
    spans = _tokens(text, mentioned, tag_url)
    paragraphs, position = [], 0
    for separator in [*PARAGRAPH_RE.finditer(text), None]:
        end = separator.start() if separator else len(text)
        inside = [span for span in spans if span[0] >= position and span[1] <= end]
        paragraphs.append(f"<p>{_inline(text[position:end], inside, position)}</p>")
        position = separator.end() if separator else end
    return "".join(paragraphs)
