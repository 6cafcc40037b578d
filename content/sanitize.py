"""The one HTML allow-list, for remote HTML and for rendering local text and Markdown."""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import MutableMapping
from functools import cache

import bleach
from bleach.linkifier import Linker, build_url_re
from markdown_it import MarkdownIt

from content import hashtags

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "span", "strong", "b", "em", "i", "u", "del", "s", "code", "pre",
     "blockquote", "ul", "ol", "li"}
)  # fmt: skip
# Longer documents (country pages) may also have headings; posts may not.
DOCUMENT_TAGS = ALLOWED_TAGS | {"h3", "h4", "h5", "h6"}
# Markdown `#` becomes h4: a page shows a section's own heading as h3.
_HEADING_SHIFT = 3
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "xmpp", "matrix", "tel"})
# Microformats and the classes Mastodon gives mentions and hashtags; never our own CSS classes.
ALLOWED_CLASS = re.compile(r"(h-|u-|p-|e-|dt-)[a-z-]+|mention|hashtag|invisible|ellipsis")
LINK_REL = "nofollow noopener noreferrer"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Elements whose text is code, not content: removed with everything inside them.
_EXECUTABLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TRAILING_PUNCTUATION = ".,;:!?)]'\""


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag not in ("a", "span"):
        return False
    if name == "class":
        return all(ALLOWED_CLASS.fullmatch(c) for c in value.split())
    return tag == "a" and name in ("href", "rel")


def _set_rel(
    attrs: MutableMapping[tuple[str | None, str], str], new: bool = False
) -> MutableMapping[tuple[str | None, str], str]:
    attrs[(None, "rel")] = LINK_REL
    return attrs


@cache
def _linker() -> Linker:
    return Linker(callbacks=[_set_rel], skip_tags={"pre", "code"})


@cache
def _url_pattern() -> re.Pattern[str]:
    return build_url_re(protocols=["http", "https"])


def clean_html(markup: str) -> str:
    """Remote or stored HTML reduced to the allow-list; every link gets a safe `rel`."""
    return _clean(markup, ALLOWED_TAGS)


def clean_document_html(markup: str) -> str:
    """A document's HTML (a country page's section) reduced to the allow-list with headings."""
    return _clean(markup, DOCUMENT_TAGS)


def _clean(markup: str, tags: frozenset[str]) -> str:
    cleaned = bleach.clean(
        _EXECUTABLE.sub("", markup),
        tags=tags,
        attributes=_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return _linker().linkify(cleaned)


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def render_markdown(source: str) -> str:
    """Staff Markdown as HTML: raw HTML is shown as text, headings start at h4, and the
    result passes the document allow-list (so links get a safe `rel` and unsafe ones go)."""
    parser = _markdown()
    tokens = parser.parse(source)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + _HEADING_SHIFT, 6)}"
    return clean_document_html(parser.renderer.render(tokens, parser.options, {}))


def render_plain_text(text: str, tag_url: str = "/tags/") -> str:
    """A member's plain text as HTML: escaped, paragraphs and line breaks kept, links made,
    and each hashtag linked to `tag_url` followed by its name."""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text.strip().replace("\r\n", "\n")) if p]
    return "".join(
        "<p>" + _link_and_escape(p, tag_url).replace("\n", "<br>") + "</p>" for p in paragraphs
    )


def render_inline_text(text: str) -> str:
    """One line of a member's plain text (a profile field) as HTML: escaped, links made."""
    return _link_and_escape(" ".join(text.split()), tag_url=None)


def _link_and_escape(text: str, tag_url: str | None) -> str:
    """Escape text, turning web addresses (found in the raw text) into safe links."""
    parts: list[str] = []
    position = 0
    for match in _url_pattern().finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if "://" not in url:
            continue
        parts.append(_link_hashtags(text[position : match.start()], tag_url))
        escaped = html.escape(url)
        parts.append(f'<a href="{escaped}" rel="{LINK_REL}">{escaped}</a>')
        position = match.start() + len(url)
    parts.append(_link_hashtags(text[position:], tag_url))
    return "".join(parts)


def _link_hashtags(text: str, tag_url: str | None) -> str:
    """Escape text that holds no web address, linking its hashtags as Mastodon marks them
    (unless `tag_url` is None)."""
    if tag_url is None:
        return html.escape(text, quote=False)
    parts: list[str] = []
    position = 0
    for match in hashtags.PATTERN.finditer(text):
        name = hashtags.normalise(match.group(1))
        if name is None:
            continue
        parts.append(html.escape(text[position : match.start()], quote=False))
        href = html.escape(tag_url + urllib.parse.quote(name))
        shown = html.escape(match.group(1), quote=False)
        parts.append(
            f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{shown}</span></a>'
        )
        position = match.end()
    parts.append(html.escape(text[position:], quote=False))
    return "".join(parts)


def strip_html(markup: str) -> str:
    """Remote text as plain text: every tag removed, entities decoded. Pages escape it again
    when they show it."""
    return html.unescape(bleach.clean(_EXECUTABLE.sub("", markup), tags=set(), strip=True))
