"""FEP-8b32 integrity proofs (eddsa-jcs-2022) against the FEP's and the W3C's test vectors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from activitypub import integrity
from activitypub.errors import SignatureError

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "proofs"
SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def vector(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return document


def test_the_public_key_of_the_vectors_secret_key_is_the_published_one() -> None:
    assert integrity.public_of(SECRET) == PUBLIC


def test_signing_the_fep_document_gives_the_fep_proof_byte_for_byte() -> None:
    signed = vector("fep-8b32-signed.json")
    unsigned = {key: value for key, value in signed.items() if key != "proof"}
    made = integrity.sign(
        unsigned,
        key_id="https://server.example/users/alice#ed25519-key",
        secret=SECRET,
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
    )
    assert made == signed


@pytest.mark.parametrize("name", ["fep-8b32-signed.json", "w3c-eddsa-jcs-2022-signed.json"])
def test_the_published_vectors_verify(name: str) -> None:
    integrity.verify(vector(name), PUBLIC)


def test_a_proof_with_one_changed_byte_is_refused() -> None:
    signed = vector("fep-8b32-signed.json")
    signed["object"]["content"] = "Hello world!"
    with pytest.raises(SignatureError, match="does not verify"):
        integrity.verify(signed, PUBLIC)
    signed = vector("fep-8b32-signed.json")
    value = signed["proof"]["proofValue"]
    signed["proof"]["proofValue"] = value[:-1] + ("L" if value[-1] != "L" else "M")
    with pytest.raises(SignatureError):
        integrity.verify(signed, PUBLIC)
    signed = vector("fep-8b32-signed.json")
    signed["proof"]["created"] = "2023-02-24T23:36:39Z"
    with pytest.raises(SignatureError):
        integrity.verify(signed, PUBLIC)


def test_another_key_does_not_verify_and_a_missing_proof_is_named() -> None:
    other = integrity.public_of(integrity.new_secret())
    with pytest.raises(SignatureError, match="does not verify"):
        integrity.verify(vector("fep-8b32-signed.json"), other)
    with pytest.raises(SignatureError, match="carries no"):
        integrity.verify({"type": "Note"}, PUBLIC)


def test_a_proof_whose_context_is_not_the_documents_is_refused() -> None:
    signed = vector("fep-8b32-signed.json")
    signed["@context"] = ["https://www.w3.org/ns/activitystreams"]
    with pytest.raises(SignatureError, match="@context"):
        integrity.verify(signed, PUBLIC)


def test_an_actors_multikey_is_read_only_when_the_actor_controls_it() -> None:
    actor = "https://server.example/users/alice"
    key = {
        "id": f"{actor}#ed25519-key",
        "type": "Multikey",
        "controller": actor,
        "publicKeyMultibase": PUBLIC,
    }
    assert integrity.parse_multikey([key], actor) == integrity.Multikey(key["id"], actor, PUBLIC)
    assert integrity.parse_multikey({**key, "controller": "https://evil.example/u"}, actor) is None
    assert integrity.parse_multikey({**key, "id": "https://evil.example/u#k"}, actor) is None
    assert integrity.parse_multikey({**key, "publicKeyMultibase": "zabc"}, actor) is None
    assert integrity.parse_multikey("nonsense", actor) is None


def test_a_proof_that_leaves_out_the_documents_context_still_verifies() -> None:
    """As Fedify writes them: the proof configuration takes the document's @context
    whether or not the proof repeats it."""
    signed = vector("fep-8b32-signed.json")
    del signed["proof"]["@context"]
    integrity.verify(signed, PUBLIC)
