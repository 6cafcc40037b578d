"""Key pairs for tests, generated once per session rather than once per account."""

from __future__ import annotations

from functools import cache

from activitypub import KeyPair, generate_keypair


@cache
def keypair_for_tests(index: int = 0) -> KeyPair:
    """The `index`-th test key pair (RSA-2048, made on first use)."""
    return generate_keypair()
