"""Key pairs for tests, generated once per session rather than once per account."""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from activitypub import KeyPair, generate_keypair, public_pem_of


@cache
def keypair_for_tests(index: int = 0) -> KeyPair:
    """The `index`-th test key pair (RSA-2048, made on first use)."""
    return generate_keypair()


@cache
def refused_keypair(bits: int, exponent: int = 65537) -> KeyPair:
    """A real RSA key pair of a size or exponent Harbour refuses, made once per session."""
    private = rsa.generate_private_key(public_exponent=exponent, key_size=bits)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return KeyPair(private_pem=private_pem, public_pem=public_pem_of(private_pem))
