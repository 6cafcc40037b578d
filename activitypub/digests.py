"""The SHA-256 `Digest` header (RFC 3230) that signed POSTs carry."""

from __future__ import annotations

import base64
import hashlib
import hmac

from activitypub.errors import DigestMismatch


def digest_header(body: bytes) -> str:
    """The `Digest` header value for `body`."""
    return "SHA-256=" + sha256_of(body)


def sha256_of(body: bytes) -> str:
    """The body's SHA-256, in base64 (as `Digest` carries it)."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def check_sha256(header: str | None, expected: str) -> None:
    """Raise DigestMismatch unless `header` carries a SHA-256 digest equal to `expected`, the
    body's (`sha256_of`, computed once a request: `RequestParts.body_sha256`)."""
    if not header:
        raise DigestMismatch("the Digest header is missing")
    for part in header.split(","):
        algorithm, _, value = part.strip().partition("=")
        if algorithm.strip().lower() == "sha-256":
            if hmac.compare_digest(value.strip(), expected):
                return
            raise DigestMismatch("the body does not match its SHA-256 digest")
    raise DigestMismatch("the Digest header has no SHA-256 value")
