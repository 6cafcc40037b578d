"""Helpers for the compacted JSON-LD that ActivityPub servers exchange.

Nothing here fetches a remote context: documents are read in their compacted form, the
way every deployed server writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
        value = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    except ValueError:  # UnicodeDecodeError is one too
        raise InvalidDocument("the body is not JSON") from None
    except RecursionError:
        raise too_deep from None
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            if level > max_depth:
                raise too_deep
            pending.extend((child, level + 1) for child in children)
    return value


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


def web_url(value: object) -> str | None:
    """The one check of a URL from elsewhere before it becomes a link or an image on a page or
    in the client API: `value` if it is an absolute http(s) URL with a host, else None
    (never `javascript:`, `data:`, `vbscript:` or a relative path). Whitespace and
    control characters anywhere refuse it: browsers drop them, so `java\\tscript:` or a
    leading space would otherwise hide a scheme from this check."""
    if not isinstance(value, str) or not value or len(value) > _MAX_URL_LENGTH:
        return None
    if any(ord(char) <= 0x20 or char.isspace() or ord(char) == 0x7F for char in value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    return value if parts.scheme.lower() in _WEB_SCHEMES and host else None
