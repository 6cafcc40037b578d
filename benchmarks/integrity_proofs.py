"""FEP-8b32 integrity proofs per second: making and checking an eddsa-jcs-2022 proof on a
Note-sized Create, each against the raw Ed25519 operation on a message of the same size.

One run, one key; each figure is the median of `--rounds` rounds of `--count` operations.
The raw figures are the bare Ed25519 sign and verify (cryptography/OpenSSL) of the 64 bytes
a proof signs; the ratios show the cost of the proof's own work (RFC 8785 canonical JSON of
the document and of the proof options, two SHA-256 hashes, base58).

    .venv/bin/python benchmarks/integrity_proofs.py --count 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from activitypub import integrity  # noqa: E402
from benchmarks.signatures_rfc9421 import per_second  # noqa: E402

ACTOR = "https://a.example/users/alice"
KEY_ID = f"{ACTOR}#ed25519-key"


def create_activity() -> dict[str, Any]:
    """A Create of a Note as Harbour delivers one, about 1 KB of JSON."""
    note = {
        "id": f"{ACTOR}/statuses/1",
        "type": "Note",
        "attributedTo": ACTOR,
        "content": "<p>" + "Outreach hours moved to Thursday, 18:00 to 21:00. " * 12 + "</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{ACTOR}/followers"],
        "published": "2026-12-04T10:00:00Z",
        "tag": [{"type": "Hashtag", "name": "#outreach", "href": "https://a.example/tags/x"}],
    }
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", integrity.DATA_INTEGRITY_CONTEXT],
        "id": f"{ACTOR}/statuses/1/activity",
        "type": "Create",
        "actor": ACTOR,
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    count, rounds = args.count, args.rounds

    secret = integrity.new_secret()
    public = integrity.public_of(secret)
    document = create_activity()
    signed = integrity.sign(document, key_id=KEY_ID, secret=secret)
    raw_key = integrity.private_key(secret)
    raw_public = raw_key.public_key()
    message = b"x" * 64  # the two SHA-256 digests a proof signs
    raw_signature = raw_key.sign(message)

    rates = per_second(
        {
            "raw sign": lambda: raw_key.sign(message),
            "proof made": lambda: integrity.sign(document, key_id=KEY_ID, secret=secret),
            "raw verify": lambda: raw_public.verify(raw_signature, message),
            "proof checked": lambda: integrity.verify(signed, public),
        },
        count,
        rounds,
    )
    raw_sign, proof_sign = rates["raw sign"], rates["proof made"]
    raw_verify, proof_verify = rates["raw verify"], rates["proof checked"]

    size = len(str(document))
    print(f"a Create of a Note, {size} characters; median of {rounds} x {count}")
    print(f"raw Ed25519 sign: {raw_sign:.0f}/s")
    print(f"eddsa-jcs-2022 proof made: {proof_sign:.0f}/s = {proof_sign / raw_sign:.2f}x raw")
    print(f"raw Ed25519 verify: {raw_verify:.0f}/s")
    print(
        f"eddsa-jcs-2022 proof checked: {proof_verify:.0f}/s = {proof_verify / raw_verify:.2f}x raw"
    )


if __name__ == "__main__":
    main()
