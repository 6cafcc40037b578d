"""Helpers for the compacted JSON-LD that ActivityPub servers exchange.

Nothing here fetches a remote context: documents are read in their compacted form, the
way every deployed server writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from activitypub.errors import InvalidDocument


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
    """The absolute http(s) URI at `key`, or InvalidDocument naming the field."""
    value = require_str(document, key)
    scheme, sep, rest = value.partition("://")
    authority = rest.split("/", 1)[0]
    if not sep or scheme not in ("https", "http") or not authority or "@" in authority:
        raise InvalidDocument(f"{key!r} must be an absolute http(s) URI without user information")
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
