"""RSA key pairs: generation, the public half of a private key, and checking remote PEMs."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from activitypub import InvalidDocument, check_public_pem, generate_keypair, public_pem_of
from activitypub.keys import own_private_key
from tests.rig.keys import keypair_for_tests, refused_keypair


def _pem(label: str, der: bytes) -> str:
    return f"-----BEGIN {label}-----\n{base64.b64encode(der).decode()}\n-----END {label}-----\n"


def test_a_generated_keypair_is_a_matching_rsa_2048_pair() -> None:
    pair = generate_keypair()

    assert pair.private_pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert pair.public_pem.startswith("-----BEGIN PUBLIC KEY-----")  # SubjectPublicKeyInfo
    assert public_pem_of(pair.private_pem) == pair.public_pem
    assert check_public_pem(pair.public_pem) == pair.public_pem
    private = serialization.load_pem_private_key(pair.private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    public = serialization.load_pem_public_key(pair.public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    signature = private.sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signature, b"hello", padding.PKCS1v15(), hashes.SHA256())


def test_distinct_keypairs_have_distinct_public_keys() -> None:
    assert public_pem_of(keypair_for_tests(0).private_pem) == keypair_for_tests(0).public_pem
    assert keypair_for_tests(0).public_pem != keypair_for_tests(1).public_pem


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("", "not a valid PEM public key"),
        ("not a key at all", "not a valid PEM public key"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a valid PEM"),
        ("ключ", "not a valid PEM public key"),
        (keypair_for_tests(0).private_pem, "not a valid PEM public key"),
        (
            ed25519.Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode(),
            "not an RSA key",
        ),
    ],
    ids=["empty", "text", "bad-base64-body", "non-ascii", "private-key", "ed25519"],
)
def test_check_public_pem_rejects_what_is_not_an_rsa_public_key(pem: str, message: str) -> None:
    with pytest.raises(InvalidDocument, match=message):
        check_public_pem(pem)


def test_check_public_pem_rejects_a_key_of_an_unknown_algorithm() -> None:
    algorithm = bytes.fromhex("300706032a03040500")  # OID 1.2.3.4, NULL parameters
    bit_string = bytes.fromhex("03020001")
    der = bytes([0x30, len(algorithm) + len(bit_string)]) + algorithm + bit_string

    with pytest.raises(InvalidDocument):
        check_public_pem(_pem("PUBLIC KEY", der))


@pytest.mark.parametrize(
    ("bits", "exponent", "message"),
    [
        (1024, 65537, "an RSA key of 1024 bits; 2048 to 8192 are accepted"),
        (2048, 3, "an RSA key with an exponent other than 65537"),
        (9216, 65537, "an RSA key of 9216 bits; 2048 to 8192 are accepted"),
    ],
    ids=["small", "e3", "huge"],
)
def test_check_public_pem_rejects_rsa_keys_too_weak_or_too_costly(
    bits: int, exponent: int, message: str
) -> None:
    with pytest.raises(InvalidDocument, match=f"publicKeyPem is {message}"):
        check_public_pem(refused_keypair(bits, exponent).public_pem)


def test_the_nodes_own_key_is_read_unchecked_and_signs_what_its_public_half_verifies() -> None:
    pair = keypair_for_tests(2)
    private = own_private_key(pair.private_pem)
    assert isinstance(private, rsa.RSAPrivateKey)
    public = serialization.load_pem_public_key(pair.public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    signature = private.sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signature, b"hello", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(ValueError):
        own_private_key(_pem("PRIVATE KEY", b"not a key"))
