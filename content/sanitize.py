"""The one HTML allow-list, for remote HTML and for rendering local text."""

from __future__ import annotations

import html
import re
from collections.abc import MutableMapping
from functools import cache

import bleach
from bleach.linkifier import Linker

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "span",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "rel", "class"], "span": ["class"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "xmpp", "matrix", "tel"})
LINK_REL = "nofollow noopener noreferrer"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _set_rel(
    attrs: MutableMapping[tuple[str | None, str], str], new: bool = False
) -> MutableMapping[tuple[str | None, str], str]:
    attrs[(None, "rel")] = LINK_REL
    return attrs


@cache
def _linker() -> Linker:
    return Linker(callbacks=[_set_rel], skip_tags={"pre", "code"})


def clean_html(markup: str) -> str:
    """Remote or stored HTML reduced to the allow-list; every link gets a safe `rel`."""
    cleaned = bleach.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return _linker().linkify(cleaned)


def render_plain_text(text: str) -> str:
    """A member's plain text as HTML: escaped, paragraphs and line breaks kept, links made."""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text.strip().replace("\r\n", "\n")) if p]
    body = "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs
    )
    return _linker().linkify(body)
