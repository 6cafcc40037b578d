"""The encrypted backup file on its own: public keys as well as passphrases, and every kind of
wrong key or damage refused with one clear line before the caller keeps anything."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519

from node import age_scrypt, backup_archive
from node.backup_archive import BackupError

SECRET = b"her words, never readable in the file " * 1000
# The passphrase lock's scrypt factor where the test is not about it: 2**10 takes a
# millisecond, `harbour backup create`'s 2**18 (256 MiB) most of a second of CPU each way.
# tests/scenarios/test_backup.py writes and restores a backup at the real factor.
QUICK = 10


def produce(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("notes.txt")
    info.size = len(SECRET)
    tar.addfile(info, io.BytesIO(SECRET))


def contents(
    path: Path, *, passphrase: str | None = None, identity_file: Path | None = None
) -> dict[str, bytes]:
    found: dict[str, bytes] = {}

    def consume(tar: tarfile.TarFile) -> None:
        for member in tar:
            handle = tar.extractfile(member)
            assert handle is not None
            found[member.name] = handle.read()

    backup_archive.read(path, consume, passphrase=passphrase, identity_file=identity_file)
    return found


def test_a_backup_to_a_public_key_opens_only_with_its_identity(tmp_path: Path) -> None:
    identity, stranger = x25519.Identity.generate(), x25519.Identity.generate()
    (tmp_path / "id.txt").write_text(f"# created\n{identity}\n")
    (tmp_path / "other.txt").write_text(f"{stranger}\n")
    backup = tmp_path / "node.backup"
    backup_archive.write(backup, produce, recipients=[str(identity.to_public())])

    assert SECRET[:38] not in backup.read_bytes()
    assert backup.stat().st_mode & 0o077 == 0
    assert contents(backup, identity_file=tmp_path / "id.txt") == {"notes.txt": SECRET}
    with pytest.raises(BackupError, match="^cannot decrypt this backup: wrong key"):
        contents(backup, identity_file=tmp_path / "other.txt")
    with pytest.raises(BackupError, match="give --identity FILE"):
        contents(backup)


def test_a_changed_byte_or_a_wrong_passphrase_gives_nothing(tmp_path: Path) -> None:
    backup = tmp_path / "node.backup"
    backup_archive.write(backup, produce, passphrase="a long passphrase", work_factor=QUICK)
    assert contents(backup, passphrase="a long passphrase") == {"notes.txt": SECRET}
    with pytest.raises(BackupError, match="^wrong passphrase for this backup$"):
        contents(backup, passphrase="a wrong passphrase")

    data = bytearray(backup.read_bytes())
    data[-5000] ^= 1
    backup.write_bytes(bytes(data))
    kept: list[str] = []

    def consume(tar: tarfile.TarFile) -> None:
        kept.extend(member.name for member in tar)

    with pytest.raises(BackupError, match="damaged"):
        backup_archive.read(backup, consume, passphrase="a long passphrase")
    assert kept == []  # the damaged chunk is refused before any of it is handed on


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "photo.jpg"
    other.write_bytes(b"\xff\xd8\xff\xe0 not a backup")
    with pytest.raises(BackupError, match="^this file is not a Harbour backup$"):
        contents(other, passphrase="a long passphrase")
    with pytest.raises(BackupError, match="^give a passphrase or at least one --recipient"):
        backup_archive.write(tmp_path / "none.backup", produce)
    assert not (tmp_path / "none.backup").exists()


def rewrap(backup: Path, wrap: Callable[[bytes], bytes]) -> None:
    """Lock the backup's identity with its passphrase again, as `wrap` does it."""
    data = backup.read_bytes()
    header, length, rest = data.split(b"\n", 2)
    identity = age_scrypt.decrypt(rest[: int(length)], "a long passphrase")
    wrapped = wrap(identity)
    backup.write_bytes(b"%s\n%d\n%s%s" % (header, len(wrapped), wrapped, rest[int(length) :]))


def test_a_backup_locked_by_pyrage_still_opens(tmp_path: Path) -> None:
    """Harbour's backups until now: pyrage's factor, timed on the machine that wrote them."""
    backup = tmp_path / "node.backup"
    backup_archive.write(backup, produce, passphrase="a long passphrase", work_factor=QUICK)
    rewrap(backup, lambda key: pyrage.passphrase.encrypt(key, "a long passphrase"))
    assert contents(backup, passphrase="a long passphrase") == {"notes.txt": SECRET}


def test_a_backup_opens_whatever_machine_locked_it(tmp_path: Path) -> None:
    """Locked on a machine 4 times this one's speed (N = 2**20, 1 GiB): pyrage, which timed
    the machine decrypting, refused it on a slow or busy one as a wrong passphrase."""
    backup = tmp_path / "node.backup"
    backup_archive.write(backup, produce, passphrase="a long passphrase", work_factor=QUICK)
    rewrap(backup, lambda key: age_scrypt.encrypt(key, "a long passphrase", log_n=20))
    assert contents(backup, passphrase="a long passphrase") == {"notes.txt": SECRET}


def test_a_damaged_or_too_costly_passphrase_lock_says_so(tmp_path: Path) -> None:
    backup = tmp_path / "node.backup"
    backup_archive.write(backup, produce, passphrase="a long passphrase", work_factor=QUICK)
    data = backup.read_bytes()
    mac_at = data.index(b"--- ") + 6
    backup.write_bytes(data[:mac_at] + bytes([data[mac_at] ^ 1]) + data[mac_at + 1 :])
    with pytest.raises(BackupError, match="^this Harbour backup is damaged$"):
        contents(backup, passphrase="a long passphrase")
    backup.write_bytes(data.replace(b" 10\n", b" 23\n", 1))
    with pytest.raises(BackupError) as refused:
        contents(backup, passphrase="a long passphrase")
    assert str(refused.value) == (
        "this backup's passphrase lock asks for scrypt work factor 23 (8192 MiB of memory),"
        " more than Harbour accepts (22) or this machine has: the passphrase was not tried"
    )
