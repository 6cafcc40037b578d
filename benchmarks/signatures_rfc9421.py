"""Verifications and signatures per second: RFC 9421 and draft-cavage, each against raw RSA.

One run, one RSA-2048 key, one signed inbox POST of each kind; each figure is the median of
`--rounds` rounds of `--count` operations, the kinds taking turns within each round. The
raw figures are the bare PKCS#1 v1.5 SHA-256 verify and sign (cryptography/OpenSSL) of a
signature base of the same size: what a signature scheme cannot beat, so the ratios show
the cost of each scheme's own work (parsing, building the signature base, digests).
Nothing is cached per header value, so repeating one request costs what distinct requests
would.

    .venv/bin/python benchmarks/signatures_rfc9421.py --count 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Mapping

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from activitypub import generate_keypair, message_signatures, signatures
from activitypub.signatures import RequestParts

URL = "https://b.example/inbox"
KEY_ID = "https://a.example/users/alice#main-key"


def per_second(
    actions: Mapping[str, Callable[[], object]], count: int, rounds: int
) -> dict[str, float]:
    """Each action's median over `rounds` of `count` calls, in calls per second. The actions
    take turns within every round, so a change of load on a shared machine falls on all of
    them alike rather than on whichever ran then."""
    rates: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(rounds):
        for name, action in actions.items():
            start = time.perf_counter()
            for _ in range(count):
                action()
            rates[name].append(count / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in rates.items()}


def report(operation: str, rates: dict[str, float], count: int, rounds: int) -> None:
    """The raw rate of `operation`, then each scheme's against it."""
    raw = rates["raw"]
    print(f"raw RSA-2048 PKCS#1 v1.5 {operation}: {raw:.0f}/s (median of {rounds} x {count})")
    for scheme in ("RFC 9421", "draft-cavage"):
        print(f"{scheme} {operation}: {rates[scheme]:.0f}/s = {rates[scheme] / raw:.2f}x raw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    pair = generate_keypair()
    body = json.dumps({"type": "Create", "object": {"content": "x" * 1000}}).encode()
    base = RequestParts(
        "POST", "/inbox", {"host": "b.example", "content-type": "application/activity+json"}, body
    )
    rfc = {
        **base.headers,
        **message_signatures.sign(base, URL, key_id=KEY_ID, private_pem=pair.private_pem),
    }
    rfc_parts = RequestParts("POST", "/inbox", rfc, body)
    cavage = {**base.headers, **signatures.sign(base, key_id=KEY_ID, private_pem=pair.private_pem)}
    cavage_parts = RequestParts("POST", "/inbox", cavage, body)

    private = serialization.load_pem_private_key(pair.private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    public = private.public_key()
    message = b"x" * 300  # about the size of either signature base
    raw_signature = private.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def raw() -> None:
        public.verify(raw_signature, message, padding.PKCS1v15(), hashes.SHA256())

    def rfc9421() -> None:
        message_signatures.verify(rfc_parts, URL, pair.public_pem)

    def draft_cavage() -> None:
        signatures.verify(cavage_parts, pair.public_pem)

    def raw_sign() -> None:
        private.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def rfc9421_sign() -> None:
        message_signatures.sign(base, URL, key_id=KEY_ID, private_pem=pair.private_pem)

    def draft_cavage_sign() -> None:
        signatures.sign(base, key_id=KEY_ID, private_pem=pair.private_pem)

    count, rounds = args.count, args.rounds
    verifying = {"raw": raw, "RFC 9421": rfc9421, "draft-cavage": draft_cavage}
    report("verify", per_second(verifying, count, rounds), count, rounds)
    signing = {"raw": raw_sign, "RFC 9421": rfc9421_sign, "draft-cavage": draft_cavage_sign}
    report("sign", per_second(signing, count, rounds), count, rounds)


if __name__ == "__main__":
    main()
