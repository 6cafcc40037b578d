"""The encrypted backup file on its own: public keys as well as passphrases, and every kind of
wrong key or damage refused with one clear line before the caller keeps anything."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from pyrage import x25519

from node import backup_archive
from node.backup_archive import BackupError

SECRET = b"her words, never readable in the file " * 1000


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
    backup_archive.write(backup, produce, passphrase="a long passphrase")
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
