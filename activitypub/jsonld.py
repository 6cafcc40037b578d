"""Helpers for the compacted JSON-LD that ActivityPub servers exchange.

Nothing here fetches a remote context: documents are read in their compacted form, the
way every deployed server writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from activitypub.errors import InvalidDocument
from activitypub.hostnames import InvalidHost, check_canonical

# Far deeper than any document servers exchange (an activity with an embedded object with
# a tag is four levels), far shallower than the recursion of Python's parser.
MAX_JSON_DEPTH = 32


def read_json(body: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON from the network, or InvalidDocument: not UTF-8, not JSON, a number beyond
    Python's digit limit, or nested deeper than `max_depth` levels."""
    too_deep = InvalidDocument(f"the document nests deeper than {max_depth} levels")
    try:  # UTF-8 only: json.loads would also take UTF-16 and UTF-32 bytes
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        value = json.loads(text)
    except ValueError:  # UnicodeDecodeError is one too
        raise InvalidDocument("the body is not JSON") from None
    except RecursionError:
        raise too_deep from None
    # Level by level, containers only: strings and numbers, most of a document, are skipped
    # where they stand (half the cost of reading an inbox POST went to walking them).
    level, containers = 1, [value] if isinstance(value, _CONTAINERS) else []
    while containers:
        if level > max_depth:
            raise too_deep
        inside: list[Any] = []
        for item in containers:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, _CONTAINERS):
                    inside.append(child)
        level, containers = level + 1, inside
    return value


def read_document(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A document from another server, as `read_json` reads it, or InvalidDocument also when
    a string holds a NUL character (PostgreSQL stores none: an activity's type with one was
    a 500 at the inbox, a content warning with one an item that failed at every attempt) or
    a lone UTF-16 surrogate (no UTF-8 text holds one: stored through SQLite's JSON functions
    an activity's type with one became bytes no read could decode, and the worker's every
    claim of the inbox failed on it, for every sender; attack20). A client's own text is
    read by `read_json`: its NULs are stripped where it is kept."""
    value = read_json(body, max_depth)
    # A string holds either only so escaped; the strings (keys too) then decide.
    if b"\\u0000" in body and _any_string(value, _holds_nul):
        raise InvalidDocument("the document has a NUL character in a string")
    if _SURROGATE_ESCAPE.search(body) and _any_string(value, has_lone_surrogate):
        raise InvalidDocument("the document has a lone UTF-16 surrogate in a string")
    return value


_CONTAINERS = (dict, list)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # \uD800-\uDFFF, in a pair or not


def _holds_nul(text: str) -> bool:
    return "\x00" in text


def has_lone_surrogate(text: str) -> bool:
    """Whether `text` holds a surrogate, which no UTF-8 text (so no database) can hold:
    `json` joins the escapes of a pair into one character, so any left stood alone."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _any_string(value: Any, test: Callable[[str], bool]) -> bool:
    """Whether `test` holds for a string in `value` (a key or a value, at any depth: already
    bounded)."""
    if isinstance(value, str):
        return test(value)
    if isinstance(value, dict):
        return any(test(key) or _any_string(item, test) for key, item in value.items())
    return isinstance(value, list) and any(_any_string(item, test) for item in value)


def as_list(value: Any) -> list[Any]:
    """A JSON-LD value as a list: absent is empty, a single value is a one-item list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def id_of(value: Any) -> str | None:
    """The id of a reference that is either a bare URI string or an embedded object."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return None


def ids_of(value: Any, limit: int) -> tuple[str, ...]:
    """The ids of a reference or a list of references (bare URIs or embedded objects), at
    most `limit` of them; what has no id is skipped."""
    found = (id_of(item) for item in as_list(value))
    return tuple(uri for uri in found if uri is not None)[:limit]


def has_type(document: Mapping[str, Any], *names: str) -> bool:
    """Whether the document's `type` (a string or a list) names any of `names`."""
    return any(t in names for t in as_list(document.get("type")))


def require_str(document: Mapping[str, Any], key: str) -> str:
    """The string at `key`, or InvalidDocument naming the missing field."""
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidDocument(f"{key!r} must be a non-empty string")
    return value


def optional_str(document: Mapping[str, Any], key: str) -> str | None:
    """The string at `key` if present, InvalidDocument if present but not a string."""
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidDocument(f"{key!r} must be a string")
    return value


def require_uri(document: Mapping[str, Any], key: str) -> str:
    """The absolute http(s) URI at `key`, its host written in canonical form, or
    InvalidDocument naming the field."""
    value = require_str(document, key)
    try:
        check_canonical(value)
    except InvalidHost as error:
        raise InvalidDocument(f"{key!r} must be an absolute http(s) URI: {error}") from None
    return value


_WEB_SCHEMES = frozenset({"http", "https"})
_MAX_URL_LENGTH = 2048
_REFUSED_IN_URL = re.compile(r"[\x00-\x20\x7f\s]")  # \s: whatever str.isspace() says


def web_url(value: object) -> str | None:
    """The one check of a URL from elsewhere before it becomes a link or an image on a page or
    in the client API: `value` if it is an absolute http(s) URL with a host, else None
    (never `javascript:`, `data:`, `vbscript:` or a relative path). Whitespace and
    control characters anywhere refuse it: browsers drop them, so `java\\tscript:` or a
    leading space would otherwise hide a scheme from this check."""
    if not isinstance(value, str) or not value or len(value) > _MAX_URL_LENGTH:
        return None
    return _checked_url(value)


@lru_cache(maxsize=1024)
def _checked_url(value: str) -> str | None:
    """`web_url` of a string, remembered: a timeline page checks ~90 URLs (each status's, its
    author's, avatars, mentions), mostly the ones the page before it checked: ~400 us of a
    page's CPU, 13 us remembered (issue 18). 1,024 URLs of at most 2,048 characters: 2 MiB
    at the very most."""
    if _REFUSED_IN_URL.search(value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    return value if parts.scheme.lower() in _WEB_SCHEMES and host else None


def language_value(
    document: Mapping[str, Any], key: str, prefer: str | None = None
) -> tuple[str | None, str | None]:
    """A natural-language field (`content`, `name`, `summary`) and its language: the plain
    value at `key`, else its language map `<key>Map` (the entry in `prefer`, or the first).
    The language is the map's tag for the value used, when there is one."""
    value = document.get(key)
    language_map = document.get(f"{key}Map")
    entries = {
        tag: text
        for tag, text in (language_map.items() if isinstance(language_map, Mapping) else ())
        if isinstance(tag, str) and isinstance(text, str)
    }
    if isinstance(value, str):
        tag = next((t for t, text in entries.items() if text == value), None)
        return value, tag or next(iter(entries), None)
    if not entries:
        return None, None
    tag = prefer if prefer in entries else next(iter(entries))
    return entries[tag], tag


def preferred_link(value: Any, media_type: str = "text/html") -> str | None:
    """A `url` given as a string, a Link or a list of them: the href of the first Link whose
    `mediaType` starts with `media_type` (a page, or "video/" for a video's file), else the
    first string or href."""
    links = [v for v in as_list(value) if isinstance(v, str | Mapping)]
    for link in links:
        if isinstance(link, Mapping) and str(link.get("mediaType", "")).startswith(media_type):
            href = link.get("href")
            if isinstance(href, str):
                return href
    for link in links:
        href = link.get("href") if isinstance(link, Mapping) else link
        if isinstance(href, str):
            return href
    return None


def first_actor(value: Any) -> str | None:
    """The author an `attributedTo` names, given as an id, an object or a list of them: the
    Person among several (Lemmy and PeerTube list the Group or Channel too), else the
    first id."""
    candidates = as_list(value)
    for candidate in candidates:
        if isinstance(candidate, Mapping) and has_type(candidate, "Person"):
            return id_of(candidate)
    return next((found for c in candidates if (found := id_of(c))), None)
