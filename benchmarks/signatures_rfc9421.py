"""Verifications and signatures per second: RFC 9421 and draft-cavage, each against raw RSA.

One run, one RSA-2048 key, one signed inbox POST of each kind; each figure is the median of
`--rounds` rounds of `--count` operations. The raw figures are the bare PKCS#1 v1.5 SHA-256
verify and sign (cryptography/OpenSSL) of a signature base of the same size: what a
signature scheme cannot beat, so the ratios show the cost of each scheme's own work
(parsing, building the signature base, digests). Nothing is cached per header value, so
repeating one request costs what distinct requests would.

    .venv/bin/python benchmarks/signatures_rfc9421.py --count 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from activitypub import generate_keypair, message_signatures, signatures
from activitypub.signatures import RequestParts

URL = "https://b.example/inbox"
KEY_ID = "https://a.example/users/alice#main-key"


def per_second(action: Callable[[], object], count: int, rounds: int) -> float:
    """The median over `rounds` of `count` calls, in calls per second."""
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(count):
            action()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


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
    raw_rate = per_second(raw, count, rounds)
    rfc_rate = per_second(rfc9421, count, rounds)
    cavage_rate = per_second(draft_cavage, count, rounds)
    print(f"raw RSA-2048 PKCS#1 v1.5 verify: {raw_rate:.0f}/s (median of {rounds} x {count})")
    print(f"RFC 9421 verify: {rfc_rate:.0f}/s = {rfc_rate / raw_rate:.2f}x raw")
    print(f"draft-cavage verify: {cavage_rate:.0f}/s = {cavage_rate / raw_rate:.2f}x raw")
    raw_rate = per_second(raw_sign, count, rounds)
    rfc_rate = per_second(rfc9421_sign, count, rounds)
    cavage_rate = per_second(draft_cavage_sign, count, rounds)
    print(f"raw RSA-2048 PKCS#1 v1.5 sign: {raw_rate:.0f}/s (median of {rounds} x {count})")
    print(f"RFC 9421 sign: {rfc_rate:.0f}/s = {rfc_rate / raw_rate:.2f}x raw")
    print(f"draft-cavage sign: {cavage_rate:.0f}/s = {cavage_rate / raw_rate:.2f}x raw")


if __name__ == "__main__":
    main()
