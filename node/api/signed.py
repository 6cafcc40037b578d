"""A Starlette request as the `RequestParts` an HTTP Signature is checked against."""

from __future__ import annotations

from starlette.requests import Request

from activitypub.signatures import RequestParts


def request_parts(request: Request, body: bytes = b"") -> RequestParts:
    """Method, the path and query exactly as sent (not decoded), headers and body."""
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    path = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    return RequestParts(request.method, path, dict(request.headers), body)
