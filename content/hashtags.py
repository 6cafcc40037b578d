"""Hashtags: finding them in a member's text and the one normal form they are stored in."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 100
MAX_PER_POST = 30
# After a start, a space or punctuation (not inside a word, a URL path or an entity), at least
# one letter: "#harm_reduction" and "#PrEP2026" are tags, "#1" and "a#b" are not.
PATTERN = re.compile(r"(?<![\w/&#])#(\w*[^\W\d_]\w*)")


def normalise(name: str) -> str | None:
    """The stored form of a tag name (NFKC, case-folded, no `#`); None if it is no tag."""
    folded = unicodedata.normalize("NFKC", name.removeprefix("#")).casefold()
    if not folded or len(folded) > MAX_LENGTH or not PATTERN.fullmatch(f"#{folded}"):
        return None
    return folded


def hashtags_in(text: str) -> list[str]:
    """The distinct tags a text uses, in order of first use."""
    found = (normalise(match.group(1)) for match in PATTERN.finditer(text))
    return list(dict.fromkeys(name for name in found if name))[:MAX_PER_POST]
