"""The one HTML allow-list, for remote HTML and for rendering local text and Markdown.

Remote HTML is hostile input. nh3 (the Rust ammonia sanitiser) does the work: 20 to 100
times faster than bleach (html5lib) on hostile shapes, and it releases the GIL. Both
parsers are still quadratic in nesting depth and in attributes per tag (the open elements
are scanned per tag, attribute names compared with each other), so markup is cut at
MAX_MARKUP characters, markup with more than MAX_TAGS tags keeps only its text, and large
markup is sanitised in a worker thread (`in_thread`), never on the event loop. nh3 (~1.6
MiB resident) is imported on the first cleaning, not at start-up (DESIGN.md, start-up).
"""

from __future__ import annotations

import asyncio
import html
import re
import urllib.parse
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING

from content import hashtags

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

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
# Bounds on what reaches the HTML parser (see the module's docstring; benchmarks/sanitise.py
# measures them): longer markup is cut, markup with more tags is reduced to its text.
MAX_MARKUP = 65_536
MAX_TAGS = 2_000
MAX_PASSES = 3  # cleanings until the output is stable; one more is almost never needed
# Markup up to this length is sanitised where it is asked for: a thread costs more.
INLINE_MARKUP = 2_048
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_ANY_TAG = re.compile(r"<[^>]*>?")
# nh3's output escapes `<` and `>` in text and attribute values, so this splits it exactly.
_SERIALISED_TAG = re.compile(r"(<[^>]*>)")
_NOT_LINKED_INSIDE = frozenset({"a", "pre", "code"})
# A web address in text: a scheme, then what RFC 3986 lets a URL hold.
_URL = re.compile(r"\bhttps?://[^\s<>\"`{}|\\^\[\]]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]'\""
# A mention in a member's text: `@name` (this node) or `@name@server[:port]`.
MENTION = re.compile(r"(?<![\w@/])@([a-z0-9_]{1,30}(?:@[a-z0-9.-]+(?::\d{1,5})?)?)", re.I)


def _allowed_class(tag: str, name: str, value: str) -> str | None:
    if name == "class" and not all(ALLOWED_CLASS.fullmatch(c) for c in value.split()):
        return None
    return value


def clean_html(markup: str) -> str:
    """Remote or stored HTML reduced to the allow-list; every link gets a safe `rel`."""
    return _clean(markup, ALLOWED_TAGS)


def clean_document_html(markup: str) -> str:
    """A document's HTML (a country page's section) reduced to the allow-list with headings."""
    return _clean(markup, DOCUMENT_TAGS)


async def in_thread(clean: Callable[[str], str], markup: str) -> str:
    """`clean(markup)` off the event loop when the markup is large (nh3 releases the GIL)."""
    if len(markup) <= INLINE_MARKUP:
        return clean(markup)
    return await asyncio.to_thread(clean, markup)


def _clean(markup: str, tags: frozenset[str]) -> str:
    markup = markup[:MAX_MARKUP]
    if len(_TAG_START.findall(markup)) > MAX_TAGS:
        return html.escape(_text_of(markup), quote=False)
    cleaned = _nh3(markup, tags)
    for _ in range(MAX_PASSES):
        # Removing a tag can leave a nesting the HTML parser reads otherwise next time
        # (`<h3><form><h3>` becomes `<h3><h3></h3></h3>`, which parses as two headings):
        # what is stored must read the same when cleaned again (found by the fuzz test).
        again = _nh3(cleaned, tags)
        if again == cleaned:
            break
        cleaned = again
    return _linkify(cleaned)


def _nh3(markup: str, tags: frozenset[str]) -> str:
    import nh3

    return nh3.clean(
        markup,
        tags=set(tags),
        clean_content_tags={"script", "style"},
        attributes={"*": set(), "a": {"href", "rel", "class"}, "span": {"class"}},
        attribute_filter=_allowed_class,
        url_schemes=set(ALLOWED_PROTOCOLS),
        link_rel=None,
        set_tag_attribute_values={"a": {"rel": LINK_REL}},
        strip_comments=True,
    )


def _text_of(markup: str) -> str:
    """The text of markup too tangled to parse: tags dropped by a linear scan, entities read."""
    return html.unescape(_ANY_TAG.sub(" ", markup))


def _linkify(cleaned: str) -> str:
    """Link web addresses in sanitised HTML's text, except inside links, `pre` and `code`."""
    parts: list[str] = []
    inside = 0
    for piece in _SERIALISED_TAG.split(cleaned):
        if piece.startswith("<"):
            name = piece.strip("</>").split(" ", 1)[0]
            if name in _NOT_LINKED_INSIDE:
                inside += -1 if piece.startswith("</") else 1
            parts.append(piece)
        elif inside or "://" not in piece:
            parts.append(piece)
        else:
            # Serialised as nh3 does (it writes U+00A0 as &nbsp;), so cleaning is idempotent.
            linked = _link_and_escape(html.unescape(piece), tag_url=None)
            parts.append(linked.replace("\xa0", "&nbsp;"))
    return "".join(parts)


@cache
def _markdown() -> MarkdownIt:
    """The parser, imported on first use: only staff documents are Markdown (~40 ms)."""
    from markdown_it import MarkdownIt

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


def render_plain_text(
    text: str, tag_url: str | None = "/tags/", mentions: Mapping[str, str] | None = None
) -> str:
    """A member's plain text as HTML: escaped, paragraphs and line breaks kept, links made,
    each hashtag linked to `tag_url` followed by its name, and each mention found in
    `mentions` (a handle as written, in lower case, to the account's page) linked as
    Mastodon marks them."""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text.strip().replace("\r\n", "\n")) if p]
    return "".join(
        "<p>" + _link_and_escape(p, tag_url, mentions or {}).replace("\n", "<br>") + "</p>"
        for p in paragraphs
    )


def render_inline_text(text: str) -> str:
    """One line of a member's plain text (a profile field) as HTML: escaped, links made."""
    return _link_and_escape(" ".join(text.split()), tag_url=None)


def _link_and_escape(
    text: str, tag_url: str | None, mentions: Mapping[str, str] | None = None
) -> str:
    """Escape text, turning web addresses (found in the raw text) into safe links."""
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if "://" not in url:
            continue
        parts.append(_link_mentions(text[position : match.start()], tag_url, mentions))
        # Escaped as nh3 serialises (quotes kept in text, `"` only in attributes), so what
        # is stored reads the same when cleaned again (found by the fuzz test: x'0).
        shown = html.escape(url, quote=False)
        href = shown.replace('"', "&quot;")
        parts.append(f'<a href="{href}" rel="{LINK_REL}">{shown}</a>')
        position = match.start() + len(url)
    parts.append(_link_mentions(text[position:], tag_url, mentions))
    return "".join(parts)


def _link_mentions(text: str, tag_url: str | None, mentions: Mapping[str, str] | None) -> str:
    """Text that holds no web address, its known mentions linked as Mastodon writes them
    (an h-card around a `u-url mention` link showing `@name`), the rest as hashtags."""
    if not mentions:
        return _link_hashtags(text, tag_url)
    parts: list[str] = []
    position = 0
    for match in MENTION.finditer(text):
        href = mentions.get(match.group(1).lower())
        if href is None:
            continue
        parts.append(_link_hashtags(text[position : match.start()], tag_url))
        name = html.escape(match.group(1).split("@")[0], quote=False)
        parts.append(
            f'<span class="h-card"><a href="{html.escape(href)}" class="u-url mention">'
            f"@<span>{name}</span></a></span>"
        )
        position = match.end()
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
    markup = markup[:MAX_MARKUP]
    if len(_TAG_START.findall(markup)) > MAX_TAGS:
        return _text_of(markup)
    import nh3

    return html.unescape(nh3.clean(markup, tags=set(), clean_content_tags={"script", "style"}))
