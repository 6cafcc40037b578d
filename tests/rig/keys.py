"""Key pairs for tests, generated once per session rather than once per account."""

from __future__ import annotations

import secrets
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from activitypub import KeyPair, generate_keypair

MAX_GENERATED_BITS = 4096  # larger keys take tens of seconds to generate


@cache
def keypair_for_tests(index: int = 0) -> KeyPair:
    """The `index`-th test key pair (RSA-2048, made on first use)."""
    return generate_keypair()


@cache
def refused_keypair(bits: int, exponent: int = 65537) -> KeyPair:
    """An RSA key pair of a size or exponent Harbour refuses, made once per session.

    Up to MAX_GENERATED_BITS it is a real generated pair. A larger public key is built from
    a random odd modulus of exactly `bits` bits (finding primes that size takes tens of
    seconds), paired with a 2048-bit private key: Harbour must refuse such a key by its size
    before any signature is checked with it, so what signs does not matter."""
    if bits <= MAX_GENERATED_BITS:
        return generate_keypair(bits, exponent)
    modulus = secrets.randbits(bits) | (1 << (bits - 1)) | 1
    public = rsa.RSAPublicNumbers(exponent, modulus).public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    return KeyPair(private_pem=keypair_for_tests(0).private_pem, public_pem=public_pem)
