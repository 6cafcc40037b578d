"""age scrypt files written and read by Harbour's own code open with pyrage (the age format),
and every kind of damage or a wrong passphrase is told apart."""

from __future__ import annotations

import pyrage
import pytest

from node import age_scrypt
from node.age_scrypt import Damaged, TooCostly, WrongPassphrase

PASSPHRASE = "correct horse battery staple"
TEXT = bytes(range(256)) * 600  # 150 KiB: three STREAM chunks, the last one short


def test_files_cross_both_ways_with_pyrage() -> None:
    # pyrage picks its work factor by timing this machine; any it picks opens here.
    assert age_scrypt.decrypt(pyrage.passphrase.encrypt(TEXT, PASSPHRASE), PASSPHRASE) == TEXT
    # A low factor, as pyrage refuses one above its own timing of the machine plus 4.
    for text in (b"", b"x" * age_scrypt.CHUNK, TEXT):
        made = age_scrypt.encrypt(text, PASSPHRASE, log_n=10)
        assert pyrage.passphrase.decrypt(made, PASSPHRASE) == text
        assert age_scrypt.decrypt(made, PASSPHRASE) == text


def test_the_file_says_its_fixed_work_factor() -> None:
    made = age_scrypt.encrypt(b"key", PASSPHRASE)
    assert made.split(b"\n")[1].endswith(b" 18")
    assert age_scrypt.WORK_FACTOR == 18


def test_a_wrong_passphrase_or_a_changed_byte_is_refused() -> None:
    made = age_scrypt.encrypt(TEXT, PASSPHRASE, log_n=10)
    with pytest.raises(WrongPassphrase):
        age_scrypt.decrypt(made, "correct horse battery stapler")
    mac_at = made.index(b"--- ") + 4
    for where in (mac_at, mac_at + 20, len(made) - 1, len(made) - 70000):
        changed = bytearray(made)
        changed[where] ^= 1
        with pytest.raises(Damaged):
            age_scrypt.decrypt(bytes(changed), PASSPHRASE)
    salt_at = made.index(b"scrypt ") + 7
    other_salt = b"B" if made[salt_at : salt_at + 1] == b"A" else b"A"
    with pytest.raises(WrongPassphrase):
        age_scrypt.decrypt(made[:salt_at] + other_salt + made[salt_at + 1 :], PASSPHRASE)
    for cut in (len(made) - 1, len(made) - 17, made.index(b"\n", mac_at) + 10):
        with pytest.raises(Damaged):
            age_scrypt.decrypt(made[:cut], PASSPHRASE)
    with pytest.raises(Damaged):
        age_scrypt.decrypt(made.replace(b"-> scrypt", b"-> X25519", 1), PASSPHRASE)


def test_a_work_factor_above_the_ceiling_is_refused_before_scrypt_runs() -> None:
    made = age_scrypt.encrypt(b"key", PASSPHRASE, log_n=10)
    claimed = made.replace(b" 10\n", b" 23\n", 1)  # 8 GiB, minutes of scrypt if it ran
    with pytest.raises(TooCostly) as refused:
        age_scrypt.decrypt(claimed, PASSPHRASE)
    assert (refused.value.log_n, refused.value.mebibytes) == (23, 8192)
