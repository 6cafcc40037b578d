"""Key pairs for tests, generated once per session rather than once per account."""

from __future__ import annotations

from functools import cache

from activitypub import KeyPair, generate_keypair


@cache
def keypair_for_tests(index: int = 0) -> KeyPair:
    """The `index`-th test key pair (RSA-2048, made on first use)."""
    return generate_keypair()


@cache
def refused_keypair(bits: int, exponent: int = 65537) -> KeyPair:
    """A real RSA key pair of a size or exponent Harbour refuses, made once per session."""
    return generate_keypair(bits, exponent)
