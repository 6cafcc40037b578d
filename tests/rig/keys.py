"""Key pairs for tests, generated once per session rather than once per account."""

from __future__ import annotations

import atexit
import itertools
import secrets
import shutil
import tempfile
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from activitypub import KeyPair, generate_keypair

MAX_GENERATED_BITS = 4096  # larger keys take tens of seconds to generate
# Key pairs handed to accounts of node processes (`node_keypair`), a cycle of their own apart
# from `keypair_for_tests`' indices: the tests that sign with those never sign as a node's
# account by accident. A test meets a repeat only after POOL key pairs.
POOL = 24
_handed = itertools.count()


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


def node_keypair() -> KeyPair:
    """The next key pair of the cycle for node processes' accounts (~40 ms of CPU saved
    each, against generating one: hundreds of accounts and nodes in a run)."""
    return keypair_for_tests(1000 + next(_handed) % POOL)


@cache
def _keypairs_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="harbour-test-keypairs-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def node_keypairs_file(count: int = 3) -> Path:
    """A file of `count` key pairs for a new node's first accounts (its instance actor,
    organisation and first admin): HARBOUR_TEST_KEYPAIRS, so a node start does not generate
    three RSA keys (~0.12 s of its ~0.7 s of CPU)."""
    pairs = [node_keypair() for _ in range(count)]
    path = _keypairs_folder() / f"{next(_files)}.pem"
    path.write_text("".join(pair.private_pem + pair.public_pem for pair in pairs))
    return path


_files = itertools.count()
