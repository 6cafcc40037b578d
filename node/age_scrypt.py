"""Small age v1 files (https://age-encryption.org/v1) with one scrypt (passphrase) stanza,
held in memory, written and read with the `cryptography` library's primitives.

pyrage times the machine to pick the work factor when it encrypts, and refuses one above
that timing plus 4 when it decrypts, so a file made on a fast or idle machine could not be
opened on a slower or busy one. Here the work factor is fixed when writing and the ceiling
when reading: whether a file opens depends on the file, not on the machine's load. The files
stay standard: `age -d` (and pyrage, within its own ceiling) opens what `encrypt` writes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

WORK_FACTOR = 18  # N = 2**18: 256 MiB (128 * r * N, r = 8), the Go age tool's own choice
MAX_WORK_FACTOR = 22  # 4 GiB: the Go age tool's ceiling, so every file it opens opens here
VERSION_LINE = b"age-encryption.org/v1\n"
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
CHUNK = 64 * 1024
TAG = 16
_STANZA = re.compile(rb"-> scrypt ([A-Za-z0-9+/]{22}) ([1-9][0-9]?)\n([A-Za-z0-9+/]{43})\n--- ")


class AgeError(Exception):
    """The file cannot be decrypted; subclasses say why."""


class WrongPassphrase(AgeError):
    """The passphrase does not open the file key."""


class Damaged(AgeError):
    """The file is not a well-formed, intact age scrypt file."""


class TooCostly(AgeError):
    """The stanza's work factor is above the ceiling or needs more memory than there is;
    the passphrase was not (fully) tried."""

    def __init__(self, log_n: int) -> None:
        super().__init__(log_n)
        self.log_n = log_n
        self.mebibytes = 128 * 8 * 2**log_n // 2**20


def encrypt(plaintext: bytes, passphrase: str, *, log_n: int = WORK_FACTOR) -> bytes:
    """An age file of `plaintext` that `passphrase` opens, at work factor N = 2**log_n."""
    salt, file_key = os.urandom(16), os.urandom(16)
    body = ChaCha20Poly1305(_scrypt(passphrase, salt, log_n)).encrypt(bytes(12), file_key, None)
    header = VERSION_LINE + b"-> scrypt %s %d\n%s\n---" % (_b64(salt), log_n, _b64(body))
    mac = hmac.digest(_hkdf(file_key, b"", b"header"), header, "sha256")
    nonce = os.urandom(16)
    stream = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    chunks = [plaintext[i : i + CHUNK] for i in range(0, len(plaintext), CHUNK)] or [b""]
    sealed = [
        stream.encrypt(_chunk_nonce(i, i == len(chunks) - 1), chunk, None)
        for i, chunk in enumerate(chunks)
    ]
    return header + b" " + _b64(mac) + b"\n" + nonce + b"".join(sealed)


def decrypt(data: bytes, passphrase: str) -> bytes:
    """The plaintext of the age scrypt file `data`.

    Raises TooCostly (before running scrypt) for a work factor above MAX_WORK_FACTOR,
    WrongPassphrase and Damaged."""
    found = _STANZA.match(data, len(VERSION_LINE))
    if not data.startswith(VERSION_LINE) or found is None:
        raise Damaged("not an age file with one scrypt stanza")
    log_n = int(found[2])
    if log_n > MAX_WORK_FACTOR:
        raise TooCostly(log_n)
    salt, body = _unb64(found[1]), _unb64(found[3])
    try:
        key = _scrypt(passphrase, salt, log_n)
    except MemoryError:
        raise TooCostly(log_n) from None
    try:
        file_key = ChaCha20Poly1305(key).decrypt(bytes(12), body, None)
    except InvalidTag:
        raise WrongPassphrase("the passphrase does not open this file") from None
    end = data.find(b"\n", found.end())
    if end != found.end() + 43:
        raise Damaged("the header's MAC line is malformed")
    mac = _unb64(data[found.end() : end])
    expected = hmac.digest(_hkdf(file_key, b"", b"header"), data[: found.end() - 1], "sha256")
    if not hmac.compare_digest(mac, expected):
        raise Damaged("the header was changed")
    return _open_payload(file_key, data[end + 1 :])


def _open_payload(file_key: bytes, payload: bytes) -> bytes:
    """age's STREAM: 64 KiB chunks, each sealed with an 11-byte big-endian counter and a
    last-chunk flag; only the first chunk may be empty, and only if it is the last."""
    if len(payload) < 16 + TAG:
        raise Damaged("the payload is cut short")
    stream = ChaCha20Poly1305(_hkdf(file_key, payload[:16], b"payload"))
    sealed = payload[16:]
    size = CHUNK + TAG
    count = max(1, -(-len(sealed) // size))
    plain = []
    for i in range(count):
        chunk = sealed[i * size : (i + 1) * size]
        last = i == count - 1
        if len(chunk) < TAG or (last and i > 0 and len(chunk) == TAG):
            raise Damaged("the payload is cut short")
        try:
            plain.append(stream.decrypt(_chunk_nonce(i, last), chunk, None))
        except InvalidTag:
            raise Damaged("the payload was changed or cut short") from None
    return b"".join(plain)


def _scrypt(passphrase: str, salt: bytes, log_n: int) -> bytes:
    kdf = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=2**log_n, r=8, p=1)
    return kdf.derive(passphrase.encode("utf-8"))


def _hkdf(key: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt, info).derive(key)


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _b64(raw: bytes) -> bytes:
    return base64.b64encode(raw).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    """age's base64: standard alphabet, no padding, canonical (no stray low bits)."""
    try:
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        raise Damaged("bad base64") from None
    if _b64(raw) != text:
        raise Damaged("non-canonical base64")
    return raw
