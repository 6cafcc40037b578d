"""A Starlette request, or an ASGI scope, as the `RequestParts` an HTTP Signature is checked
against."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Scope

from activitypub.signatures import RequestParts


def request_parts(request: Request, body: bytes = b"") -> RequestParts:
    """Method, the path and query exactly as sent (not decoded), headers and body."""
    return scope_parts(request.scope, body)


def scope_parts(scope: Scope, body: bytes = b"") -> RequestParts:
    """`request_parts` read straight from the ASGI scope (for middleware that answers before
    any `Request` is made): the headers by their lower-case names, the first of a repeated
    one, as Starlette's `Headers` gives them."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    path = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return RequestParts(scope["method"], path, headers, body)
