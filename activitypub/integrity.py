"""FEP-8b32 object integrity proofs: `eddsa-jcs-2022` Data Integrity proofs (Ed25519 over
the RFC 8785 canonical form, SHA-256), and FEP-521a Multikey encoding of Ed25519 keys.

A proof lets a document vouch for itself wherever it travels: a group's Announce or a
forwarded activity carries its author's own signature, checked without asking the origin.
Canonical JSON comes from `rfc8785` (numbers as ECMAScript prints them, which no hand-written
`json.dumps` gets right) and base58btc from `base58`; Ed25519 from `cryptography`, imported
when a key is first decoded (`activitypub.keys` says why).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import base58
import rfc8785

from activitypub.errors import InvalidDocument, SignatureError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PURPOSE = "assertionMethod"
# data-integrity/v1, as Fedify and Mitra write it (Fedify has no copy of v2 to hand).
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"  # defines `assertionMethod` for JSON-LD readers
# What an actor document that publishes a Multikey adds to its @context (as Fedify writes it).
ACTOR_CONTEXTS = (DATA_INTEGRITY_CONTEXT, DID_CONTEXT, MULTIKEY_CONTEXT)
# Multicodec prefixes (unsigned varints) of an Ed25519 public and secret key.
PUBLIC_PREFIX = b"\xed\x01"
SECRET_PREFIX = b"\x80\x26"
MAX_MULTIBASE = 128  # an Ed25519 key or signature is far shorter


@dataclass(frozen=True)
class Multikey:
    """An actor's Ed25519 key as FEP-521a publishes it under `assertionMethod`."""

    id: str
    controller: str
    public: str  # publicKeyMultibase: "z" + base58btc(0xed01 + 32 bytes)

    def to_document(self) -> dict[str, str]:
        return {
            "id": self.id,
            "type": "Multikey",
            "controller": self.controller,
            "publicKeyMultibase": self.public,
        }


def new_secret() -> str:
    """A fresh Ed25519 secret key, multibase-encoded (as the FEP's test vectors write it)."""
    return _multibase(SECRET_PREFIX + os.urandom(32))


def public_of(secret: str) -> str:
    """The publicKeyMultibase of a multibase secret key."""
    raw = private_key(secret).public_key().public_bytes_raw()
    return _multibase(PUBLIC_PREFIX + raw)


def parse_multikey(value: Any, actor_id: str) -> Multikey | None:
    """The actor's Ed25519 Multikey among its `assertionMethod` entries, or None. A key must
    be controlled by the actor itself and have an id under the actor's own id."""
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("type") != "Multikey":
            continue
        key_id, public = entry.get("id"), entry.get("publicKeyMultibase")
        if entry.get("controller") != actor_id or not isinstance(public, str):
            continue
        if not isinstance(key_id, str) or key_id.split("#")[0] != actor_id:
            continue
        try:
            public_key(public)
        except InvalidDocument:
            continue
        return Multikey(key_id, actor_id, public)
    return None


@lru_cache(maxsize=4096)
def public_key(multibase: str) -> ed25519.Ed25519PublicKey:
    """The Ed25519 public key a publicKeyMultibase names, or InvalidDocument."""
    raw = _decode(multibase)
    if len(raw) != 34 or not raw.startswith(PUBLIC_PREFIX):
        raise InvalidDocument("publicKeyMultibase is not an Ed25519 key")
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])


def sign(
    document: Mapping[str, Any], *, key_id: str, secret: str, created: datetime | None = None
) -> dict[str, Any]:
    """`document` with an eddsa-jcs-2022 proof by `key_id` added (a proof it already had
    is replaced). The proof carries the document's `@context`, as the FEP's vectors do."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    when = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": key_id,
        "proofPurpose": PURPOSE,
        "created": when,
    }
    if "@context" in unsecured:
        options = {"@context": unsecured["@context"], **options}
    signature = private_key(secret).sign(_hash_data(options, unsecured))
    return {**unsecured, "proof": {**options, "proofValue": _multibase(signature)}}


def proof_of(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The document's eddsa-jcs-2022 proof, or None if it carries none of that kind."""
    proof = document.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    for candidate in proofs:
        if isinstance(candidate, Mapping) and candidate.get("cryptosuite") == CRYPTOSUITE:
            return candidate
    return None


def verification_method(document: Mapping[str, Any]) -> str | None:
    """The key id the document's proof names, if it carries a proof."""
    proof = proof_of(document)
    method = proof.get("verificationMethod") if proof else None
    return method if isinstance(method, str) else None


def verify(document: Mapping[str, Any], public: str) -> None:
    """Check the document's eddsa-jcs-2022 proof against `public` (a publicKeyMultibase);
    raise SignatureError, with the reason, unless it holds."""
    proof = proof_of(document)
    if proof is None:
        raise SignatureError("the document carries no eddsa-jcs-2022 proof")
    if proof.get("type") != PROOF_TYPE or proof.get("proofPurpose") != PURPOSE:
        raise SignatureError("the proof is not a DataIntegrityProof for assertionMethod")
    value = proof.get("proofValue")
    if not isinstance(value, str):
        raise SignatureError("the proof has no proofValue")
    options = {key: item for key, item in proof.items() if key != "proofValue"}
    # A Linked Data Signature is added after the proof (FEP-8b32): it is not signed.
    unsecured = {key: item for key, item in document.items() if key not in ("proof", "signature")}
    if "@context" in options and not _starts_with(unsecured.get("@context"), options["@context"]):
        raise SignatureError("the proof's @context does not begin the document's")
    if "@context" in unsecured:  # the proof configuration always takes the document's
        options["@context"] = unsecured["@context"]
    from cryptography.exceptions import InvalidSignature

    try:
        signature = _decode(value)
        key = public_key(public)
        key.verify(signature, _hash_data(options, unsecured))
    except (InvalidDocument, InvalidSignature, rfc8785.CanonicalizationError) as error:
        raise SignatureError("the integrity proof does not verify") from error


def _hash_data(options: Mapping[str, Any], unsecured: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical proof options, then of the canonical document."""
    try:
        return (
            hashlib.sha256(rfc8785.dumps(options)).digest()
            + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
        )
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise SignatureError("the document cannot be canonicalised (RFC 8785)") from error


def _starts_with(context: Any, prefix: Any) -> bool:
    whole = context if isinstance(context, list) else [context]
    start = prefix if isinstance(prefix, list) else [prefix]
    return whole[: len(start)] == start


@lru_cache(maxsize=1024)  # a node's own accounts: decoding is a fifth of making a proof
def private_key(secret: str) -> ed25519.Ed25519PrivateKey:
    """The Ed25519 key of a multibase secret (ValueError if it is not one)."""
    raw = _decode(secret)
    if len(raw) != 34 or not raw.startswith(SECRET_PREFIX):
        raise ValueError("not a multibase Ed25519 secret key")
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.from_private_bytes(raw[2:])


def _multibase(raw: bytes) -> str:
    return "z" + base58.b58encode(raw).decode("ascii")


def _decode(multibase: str) -> bytes:
    if not multibase.startswith("z") or len(multibase) > MAX_MULTIBASE:
        raise InvalidDocument("not a base58btc multibase value")
    try:
        return base58.b58decode(multibase[1:])
    except ValueError as error:
        raise InvalidDocument("not a base58btc multibase value") from error
