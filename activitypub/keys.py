"""RSA key pairs for actors, serialised as PEM.

`cryptography` (~7 MiB resident: its Rust module and OpenSSL) is imported by the first
function that needs it, not by the import of this module, so a node that has not yet signed
or checked anything has not loaded it (DESIGN.md, start-up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from activitypub.errors import InvalidDocument

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
RSA_EXPONENT = 65537


@dataclass(frozen=True)
class KeyPair:
    """A PEM-encoded RSA key pair: PKCS#8 private key, SubjectPublicKeyInfo public key."""

    private_pem: str
    public_pem: str


def generate_keypair(bits: int = 2048, exponent: int = RSA_EXPONENT) -> KeyPair:
    """A fresh RSA key pair (2048 bits, as Mastodon and every other server use)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=exponent, key_size=bits)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    # From the key in hand: reading the PEM back would check the new key again (~30 ms).
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return KeyPair(private_pem=private_pem, public_pem=public_pem)


def own_private_key(private_pem: str) -> PrivateKeyTypes:
    """This node's own private key from its PEM (ValueError, TypeError or
    UnsupportedAlgorithm if it is none). OpenSSL 3's check of an RSA private key's
    arithmetic took ~36 ms for each key in each process, on the event loop: every account's
    first signature after a start, and each signing process's. It is skipped, as
    `cryptography` allows for a key from a trusted source: the node made it
    (`generate_keypair`) and keeps it in its own database; no remote party supplies one."""
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(
        private_pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
    )


def public_pem_of(private_pem: str) -> str:
    """The public half of a PEM private key, as SubjectPublicKeyInfo PEM."""
    from cryptography.hazmat.primitives import serialization

    private = own_private_key(private_pem)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def check_public_pem(public_pem: str) -> str:
    """Return `public_pem` if it is a loadable RSA public key of a usable size and exponent,
    else raise InvalidDocument."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
        raise InvalidDocument("publicKeyPem is not a valid PEM public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidDocument("publicKeyPem is not an RSA key")
    if (unusable := unusable_rsa_key(key)) is not None:
        raise InvalidDocument(f"publicKeyPem is {unusable}")
    return public_pem


def unusable_rsa_key(key: rsa.RSAPublicKey) -> str | None:
    """Why an RSA key is refused, or None: only 2,048 to 8,192 bits with exponent 65537.
    Smaller keys can be broken; larger ones cost a verification many times over (16,384
    bits: 80 times a normal one), and no server needs another exponent."""
    if not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
        return f"an RSA key of {key.key_size} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} are accepted"
    if key.public_numbers().e != RSA_EXPONENT:
        return f"an RSA key with an exponent other than {RSA_EXPONENT}"
    return None
