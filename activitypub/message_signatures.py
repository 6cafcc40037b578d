"""HTTP Message Signatures (RFC 9421) with Content-Digest (RFC 9530), as Mastodon 4.5 and
Fedify sign. Built on `http-message-signatures` (signature bases, algorithms, Content-Digest)
and `http-sf` (the structured fields), so nothing here parses a header by hand.

A request is RFC 9421 when it carries `Signature-Input`; `Signature` alone is draft-cavage
(`activitypub.signatures`). Verification requires coverage of `@method` and `@target-uri`
(which holds the authority), and of `content-digest` for a request with a body, whose value
must match the body; `created` must be recent and not ahead of our clock.

The two libraries (and `cryptography`) are imported by the first function that needs them,
so a node that has not yet seen an RFC 9421 request has not loaded them (DESIGN.md,
start-up), nor `http-sf`, which alone reads a request's keyid.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from activitypub.digests import check_sha256
from activitypub.errors import DigestMismatch, SignatureError
from activitypub.keys import own_private_key
from activitypub.signatures import RequestParts, signature_of

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from http_message_signatures import HTTPMessageSigner, HTTPSignatureAlgorithm

    from activitypub.message_signature_library import Verifier

    PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

GET_COMPONENTS = ("@method", "@target-uri", "@authority")
POST_COMPONENTS = (*GET_COMPONENTS, "content-digest")
MAX_AGE = timedelta(hours=1)  # as draft-cavage's Date window
MAX_AHEAD = timedelta(minutes=5)  # clocks drift; a signature from further ahead is refused
LABEL = "sig1"


@dataclass
class _Message:
    """The request as the library reads it: method, absolute URL and header fields."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def is_message_signature(parts: RequestParts) -> bool:
    """Whether the request is signed the RFC 9421 way (it carries `Signature-Input`)."""
    return parts.header("signature-input") is not None


def signing_key_id(parts: RequestParts) -> str:
    """The keyId of whichever signature the request carries, RFC 9421 or draft-cavage."""
    return key_id_of(parts) if is_message_signature(parts) else signature_of(parts).key_id


def check_body_digest(parts: RequestParts) -> None:
    """The body must match its digest: `Content-Digest` (RFC 9530) for an RFC 9421 request,
    `Digest` for draft-cavage; checked before any key is fetched for the request."""
    if not is_message_signature(parts):
        check_sha256(parts.header("digest"), parts.body_sha256)
        return
    value = parts.header("content-digest")
    if value is None:
        raise DigestMismatch("the Content-Digest header is missing")
    from http_message_signatures import ContentDigest, HTTPMessageSignaturesException

    try:
        ContentDigest.verify(value, parts.body)
    except HTTPMessageSignaturesException:
        raise DigestMismatch("the body does not match its Content-Digest") from None


def key_id_of(parts: RequestParts) -> str:
    """The `keyid` of the request's one RFC 9421 signature (read before fetching the key)."""
    key_id = _params(parts).get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("the signature has no keyid")
    return key_id


def _params(parts: RequestParts) -> dict[str, object]:
    """The parameters (keyid, created, ...) of the request's one RFC 9421 signature."""
    value = parts.header("signature-input")
    if value is None:
        raise SignatureError("the request carries no Signature-Input")
    return dict(_signature_params(value))


@lru_cache(maxsize=64)
def _signature_params(value: str) -> tuple[tuple[str, object], ...]:
    """`_params` of a `Signature-Input` value, parsed once however often a request's keyid is
    asked for (the inbox asks before and after its key is in memory). Remembered by the
    header's text alone: a value pushed out is only parsed again."""
    import http_sf

    try:
        members = http_sf.parse(value.encode("latin-1"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError):
        raise SignatureError("the Signature-Input header is malformed") from None
    if not isinstance(members, dict) or len(members) != 1:
        raise SignatureError("the request must carry exactly one RFC 9421 signature")
    member = next(iter(members.values()))
    params = member[1] if isinstance(member, tuple) and len(member) == 2 else None
    return tuple(params.items()) if isinstance(params, dict) else ()


def sign(
    parts: RequestParts, url: str, *, key_id: str, private_pem: str, now: datetime | None = None
) -> dict[str, str]:
    """The headers to add so the request to `url` is signed: Content-Digest (with a body),
    Signature-Input and Signature, with rsa-v1_5-sha256 for Harbour's RSA keys."""
    from http_message_signatures import HTTPMessageSignaturesException

    signer, algorithm = _signer(private_pem)
    method = parts.method.upper()
    has_body = method not in ("GET", "HEAD")
    created = int((now or datetime.now(UTC)).timestamp())
    digest = content_digest(parts.body) if has_body else None
    by_hand = _base_by_hand(method, url, key_id, created, digest, algorithm.algorithm_id)
    if by_hand is not None:
        params, base = by_hand
        signature = algorithm.sign(base.encode("ascii"))
        return {
            **({"Content-Digest": digest} if digest is not None else {}),
            "Signature-Input": f"{LABEL}={params}",
            "Signature": f"{LABEL}=:{base64.b64encode(signature).decode('ascii')}:",
        }
    # Every covered component but content-digest derives from the method and URL, and the
    # library makes Content-Digest itself, so it is handed no header to read: the request's
    # own headers would only be normalised for nothing.
    message = _Message(method, url)
    try:
        prepared = signer.prepare(
            message,
            key_id=key_id,
            created=datetime.fromtimestamp(created, UTC),
            label=LABEL,
            covered_component_ids=POST_COMPONENTS if has_body else GET_COMPONENTS,
            body=parts.body if has_body else None,
        )
        signature = algorithm.sign(prepared.signature_base)
    except HTTPMessageSignaturesException as error:
        raise SignatureError(f"cannot sign the request: {error}") from None
    # The library's apply() would re-parse the prepared parameters and rebuild the whole
    # signature base, to catch a message changed while an external signer worked: nothing
    # can change here, so the two fields are written as apply() writes them, a dictionary
    # of one member under the label prepare() validated, the Signature by http-sf.
    import http_sf

    return {
        **message.headers,  # Content-Digest, made by prepare() for a body
        "Signature-Input": f"{prepared.label}={prepared.signature_params}",
        "Signature": http_sf.ser({prepared.label: (signature, {})}),
    }


# What the signature base is built by hand for (`_base_by_hand`): an absolute URL of a
# lower-case host, a port that is not the scheme's default, and a path of characters that
# need no escaping, with no query; anything else goes through the library.
_PLAIN_URL = re.compile(
    r"(https?)://([a-z0-9.-]+)(?::([1-9][0-9]{0,4}))?(/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)"
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@lru_cache(maxsize=64)
def content_digest(body: bytes) -> str:
    """The Content-Digest (RFC 9530, SHA-256) of `body`, made once for a body a fan-out
    sends to many inboxes (the same bytes object: its hash is kept)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode('ascii')}:"


def _base_by_hand(
    method: str, url: str, key_id: str, created: int, digest: str | None, alg: str
) -> tuple[str, str] | None:
    """The signature parameters and signature base for Harbour's fixed components, written
    directly, as the library writes them, or None where the library must do it (a URL or
    keyid that needs normalising or escaping). The library's `prepare` cost ~0.17 ms a
    request, two thirds of an RSA signature, spent serialising the same few Structured
    Fields each time (issue 18); tests/activitypub checks this against the library."""
    match = _PLAIN_URL.fullmatch(url)
    if (
        match is None
        or match[3] == _DEFAULT_PORTS[match[1]]
        or not key_id.isascii()
        or not key_id.isprintable()
        or '"' in key_id
        or "\\" in key_id
    ):
        return None
    authority = match[2] if match[3] is None else f"{match[2]}:{match[3]}"
    covered = '"@method" "@target-uri" "@authority"'
    lines = f'"@method": {method}\n"@target-uri": {url}\n"@authority": {authority}\n'
    if digest is not None:
        covered += ' "content-digest"'
        lines += f'"content-digest": {digest}\n'
    params = f'({covered});created={created};keyid="{key_id}";alg="{alg}"'
    return params, f'{lines}"@signature-params": {params}'


def verify(
    parts: RequestParts,
    url: str,
    public_pem: str,
    *,
    now: datetime | None = None,
    required: tuple[str, ...] = ("@method", "@target-uri"),
) -> str:
    """Check the request's RFC 9421 signature against `public_pem`, as a request to `url`
    (this node's own origin and the path asked for); return its keyid or raise
    SignatureError. The signature must cover `required` (bare component names), and
    `content-digest` too when the request has a body; `created` must lie within MAX_AGE
    before `now` and MAX_AHEAD after.

    The library parses Signature-Input and Signature once and checks everything it can
    (one signature, its parameters, `created` not ahead, `expires`, `alg`, the signature
    itself); coverage and the digest are then read from what it verified, so no header or
    component identifier is parsed again."""
    from http_message_signatures import ContentDigest, HTTPMessageSignaturesException

    message = _Message(parts.method.upper(), url, dict(parts.headers))
    try:
        (result,) = _verifier(public_pem).verify(message, max_age=None)
    except HTTPMessageSignaturesException as error:
        raise SignatureError(f"the signature does not verify: {_reason(error)}") from None
    key_id = result.parameters.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("the signature has no keyid")
    _check_created(result.parameters.get("created"), now or datetime.now(UTC))
    has_digest = bool(parts.body) or parts.header("content-digest") is not None
    covered = result.covered_components
    for name in (*required, "content-digest") if has_digest else required:
        if _component_key(name) not in covered:
            raise SignatureError(f"the signature does not verify: it does not cover {name}")
    if has_digest:
        try:
            ContentDigest.verify(covered[_component_key("content-digest")], parts.body)
        except HTTPMessageSignaturesException as error:
            raise SignatureError(f"the signature does not verify: {_reason(error)}") from None
    return key_id


@lru_cache(maxsize=64)
def _component_key(name: str) -> str:
    """How the library's results name a covered component without parameters: its
    Structured Field String, as http-sf serialises it (`"@method"`)."""
    import http_sf

    return http_sf.ser(name)


def _check_created(created: object, now: datetime) -> None:
    if type(created) is not int:
        raise SignatureError("the signature has no created time")
    try:
        made = datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError("the signature's created time is not a time") from None
    if made > now + MAX_AHEAD:
        raise SignatureError("the signature was created in the future")
    if made < now - MAX_AGE:
        raise SignatureError("the signature is too old")


def _reason(error: Exception) -> str:
    """The library's reason, without a traceback's worth of nesting."""
    cause = error.__cause__
    return str(cause if cause is not None and not str(error) else error) or "no match"


@lru_cache(maxsize=4096)
def _verifier(public_pem: str) -> Verifier:
    """The verifier for one public key, made once per PEM: loading the key and choosing
    its algorithm are the same for every request it signed."""
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from http_message_signatures import algorithms

    from activitypub.message_signature_library import OneKey, Verifier

    key = public_key(public_pem)
    algorithm = (
        algorithms.ED25519
        if isinstance(key, ed25519.Ed25519PublicKey)
        else algorithms.RSA_V1_5_SHA256
    )
    return Verifier(signature_algorithm=algorithm, key_resolver=OneKey(key))


@lru_cache(maxsize=256)
def _signer(private_pem: str) -> tuple[HTTPMessageSigner, HTTPSignatureAlgorithm]:
    """The signer for one private key and the library's algorithm holding the key, made
    once per PEM, as `_verifier`."""
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from http_message_signatures import HTTPMessageSigner, algorithms

    from activitypub.message_signature_library import OneKey

    key = _private_key(private_pem)
    algorithm = (
        algorithms.ED25519
        if isinstance(key, ed25519.Ed25519PrivateKey)
        else algorithms.RSA_V1_5_SHA256
    )
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=OneKey(key))
    return signer, algorithm(private_key=key)


def public_key(public_pem: str) -> PublicKey:
    """An RSA or Ed25519 public key from PEM; SignatureError for anything else."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    try:
        key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError):
        raise SignatureError("the public key cannot be read") from None
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise SignatureError("only RSA and Ed25519 keys are accepted")
    return key


def _private_key(private_pem: str) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    try:
        key = own_private_key(private_pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise SignatureError("the private key cannot sign") from error
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise SignatureError("only RSA and Ed25519 keys sign here")
    return key
