"""HTTP Signatures (draft-cavage-http-signatures-12), as Mastodon and its peers use them.

Built on `httpsig` for the signing string; the RSA operations use `cryptography` (OpenSSL),
which verifies about 40 times faster than httpsig's pycryptodome path (2 ms a signature,
measured), imported on the first signature made or checked (`activitypub.keys` says why).
Requests are described by a plain `RequestParts`, so this module knows nothing
of any HTTP library.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from activitypub.digests import check_sha256, digest_header, sha256_of
from activitypub.errors import SignatureError
from activitypub.keys import own_private_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

POST_HEADERS = ("(request-target)", "host", "date", "digest", "content-type")
GET_HEADERS = ("(request-target)", "host", "date")
ACCEPTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
MAX_SKEW = timedelta(hours=1)
_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*,?')


@dataclass(frozen=True)
class RequestParts:
    """What a signature covers: method, path with query, headers (any case), body."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively (the first of two spellings)."""
        return self.by_lower_name.get(name.lower())

    @cached_property
    def by_lower_name(self) -> dict[str, str]:
        """The headers by lower-case name (the first of two spellings), built once."""
        found: dict[str, str] = {}
        for key, value in self.headers.items():
            found.setdefault(key.lower(), value)
        return found

    @cached_property
    def body_sha256(self) -> str:
        """The body's SHA-256 in base64, computed once for the request's digest checks
        (the inbox checks `Digest` before it fetches a key, and `verify` again)."""
        return sha256_of(self.body)

    @cached_property
    def signature(self) -> SignatureHeader:
        """`signature_of` this request, read once however many checks ask for it (an
        unreadable header raises SignatureError each time it is asked for)."""
        return _signature_of(self)


@dataclass(frozen=True)
class SignatureHeader:
    """The parameters of a `Signature` header."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: str


@dataclass(frozen=True)
class SignatureInfo:
    """A verified signature: whose key signed, and over which headers."""

    key_id: str
    headers: tuple[str, ...]


def sign(
    parts: RequestParts, *, key_id: str, private_pem: str, now: datetime | None = None
) -> dict[str, str]:
    """The headers to add so `parts` is signed: Date, Digest (with a body), Signature."""
    added = {"Date": format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)}
    covered: tuple[str, ...] = GET_HEADERS
    if parts.method.upper() != "GET":
        added["Digest"] = digest_header(parts.body)
        covered = POST_HEADERS
    headers = {
        **{k.lower(): v for k, v in parts.headers.items()},
        **{k.lower(): v for k, v in added.items()},
    }
    missing = [h for h in covered if h != "(request-target)" and h not in headers]
    if missing:
        raise SignatureError(f"cannot sign without the {', '.join(missing)} header")
    message = _signing_string(covered, headers, parts.method, parts.path)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    raw = _private_key(private_pem).sign(message, padding.PKCS1v15(), hashes.SHA256())
    signature = base64.b64encode(raw).decode("ascii")
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
        f'signature="{signature}"'
    )
    return added


def parse_signature_header(value: str) -> SignatureHeader:
    """Read a `Signature` header (or the part after `Signature ` in Authorization)."""
    params = dict(_PARAM.findall(value.removeprefix("Signature ")))
    if "keyId" not in params or "signature" not in params:
        raise SignatureError("the Signature header needs keyId and signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ACCEPTED_ALGORITHMS:
        raise SignatureError(f"signature algorithm {algorithm!r} is not accepted")
    return SignatureHeader(
        key_id=params["keyId"],
        algorithm=algorithm,
        headers=tuple(params.get("headers", "date").lower().split()),
        signature=params["signature"],
    )


def signature_of(parts: RequestParts) -> SignatureHeader:
    """The signature a request carries, from `Signature` or `Authorization: Signature`."""
    return parts.signature


def _signature_of(parts: RequestParts) -> SignatureHeader:
    value = parts.header("signature")
    if value is None:
        authorization = parts.header("authorization") or ""
        value = authorization if authorization.startswith("Signature ") else None
    if value is None:
        raise SignatureError("the request is not signed")
    return parse_signature_header(value)


def verify(
    parts: RequestParts,
    public_pem: str,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_SKEW,
) -> SignatureInfo:
    """Check a request's signature against `public_pem`; raise SignatureError if it fails.

    The signature must cover (request-target), host and date, and for a request with a body
    also digest, whose value must match the body. The date must be within `max_skew`.
    """
    header = signature_of(parts)
    required = ["(request-target)", "host", "date"]
    if parts.method.upper() != "GET":
        required.append("digest")
    uncovered = [name for name in required if name not in header.headers]
    if uncovered:
        raise SignatureError(f"the signature must cover {', '.join(uncovered)}")
    _check_date(parts.header("date"), now or datetime.now(UTC), max_skew)
    if "digest" in header.headers:
        check_sha256(parts.header("digest"), parts.body_sha256)
    headers = parts.by_lower_name
    absent = [h for h in header.headers if h != "(request-target)" and h not in headers]
    if absent:
        raise SignatureError(f"signed header {absent[0]!r} is missing from the request")
    # Only the covered headers go to httpsig, which copies what it is given on every call.
    covered = {h: headers[h] for h in header.headers if h != "(request-target)"}
    try:
        message = _signing_string(header.headers, covered, parts.method, parts.path)
    except UnicodeEncodeError:  # a header value outside ASCII cannot have been signed
        raise SignatureError("the signature does not match the request") from None
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        raw = base64.b64decode(header.signature, validate=True)
        _public_key(public_pem).verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error):
        raise SignatureError("the signature does not match the request") from None
    return SignatureInfo(key_id=header.key_id, headers=header.headers)


def _check_date(value: str | None, now: datetime, max_skew: timedelta) -> None:
    if not value:
        raise SignatureError("the Date header is missing")
    sent = _http_date(value)
    if sent is None:
        raise SignatureError("the Date header is not an HTTP date")
    if abs(now - sent) > max_skew:
        raise SignatureError("the Date header is too far from now")


@lru_cache(maxsize=64)  # requests sent in the same second carry the same Date
def _http_date(value: str) -> datetime | None:
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return sent if sent.tzinfo is not None else sent.replace(tzinfo=UTC)


@lru_cache(maxsize=256)
def _private_key(private_pem: str) -> rsa.RSAPrivateKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = own_private_key(private_pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise SignatureError("the private key cannot sign") from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("only RSA keys sign here")
    return key


@lru_cache(maxsize=4096)
def _public_key(public_pem: str) -> rsa.RSAPublicKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    except (ValueError, UnsupportedAlgorithm) as error:
        raise SignatureError("the public key cannot be read") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("only RSA keys are accepted")
    return key


def _signing_string(
    covered: Sequence[str], headers: Mapping[str, str], method: str, path: str
) -> bytes:
    """httpsig's signing string (UnicodeEncodeError for a header value outside ASCII).
    Imported on first use: httpsig loads pkg_resources and pycryptodome (~150 ms, 8 MiB),
    which a node that has not yet signed or verified anything need not carry."""
    from httpsig.utils import generate_message

    message: str | bytes = generate_message(list(covered), headers, None, method.upper(), path)
    return message if isinstance(message, bytes) else message.encode("ascii")
