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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from activitypub.digests import check_digest, digest_header
from activitypub.errors import SignatureError

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
        """A header's value, looked up case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


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
    message = _signing_string(list(covered), headers, parts.method.upper(), parts.path)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    raw = _private_key(private_pem).sign(_bytes(message), padding.PKCS1v15(), hashes.SHA256())
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
        check_digest(parts.header("digest"), parts.body)
    headers = {k.lower(): v for k, v in parts.headers.items()}
    absent = [h for h in header.headers if h != "(request-target)" and h not in headers]
    if absent:
        raise SignatureError(f"signed header {absent[0]!r} is missing from the request")
    message = _signing_string(list(header.headers), headers, parts.method.upper(), parts.path)
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        raw = base64.b64decode(header.signature, validate=True)
        _public_key(public_pem).verify(raw, _bytes(message), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, UnicodeEncodeError):
        raise SignatureError("the signature does not match the request") from None
    return SignatureInfo(key_id=header.key_id, headers=header.headers)


def _check_date(value: str | None, now: datetime, max_skew: timedelta) -> None:
    if not value:
        raise SignatureError("the Date header is missing")
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureError("the Date header is not an HTTP date") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs(now - sent) > max_skew:
        raise SignatureError("the Date header is too far from now")


@lru_cache(maxsize=256)
def _private_key(private_pem: str) -> rsa.RSAPrivateKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
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


def _bytes(message: str | bytes) -> bytes:
    """httpsig builds the signing string as bytes or str depending on its inputs."""
    return message if isinstance(message, bytes) else message.encode("utf-8")


def _signing_string(
    covered: list[str], headers: Mapping[str, str], method: str, path: str
) -> str | bytes:
    """httpsig's signing string. Imported on first use: httpsig loads pkg_resources and
    pycryptodome (~150 ms, 8 MiB), which a node that has not yet signed or verified
    anything need not carry."""
    from httpsig.utils import generate_message

    message: str | bytes = generate_message(covered, headers, None, method, path)
    return message
