"""`harbour backup create|restore`: the database, media and secret key in one encrypted file.

Restoring goes into an empty database and data folder (or over them with --force) and never
half-restores: the rows go in one transaction committed only once the whole file was read and
its end authenticated; media are written to a staging folder moved into place after that.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import shutil
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from node import backup_archive, backup_database
from node.backup_archive import BackupError
from node.database import migrate, synchronous_engine
from node.settings import Settings
from node.version import harbour_version

PASSPHRASE_VARIABLE = "HARBOUR_BACKUP_PASSPHRASE"
MIN_PASSPHRASE = 12
MANIFEST = "manifest.json"
SECRET_KEY = "secret.key"


def create(settings: Settings, args: argparse.Namespace) -> None:
    """Write the backup file; the passphrase comes from the environment or a prompt."""
    passphrase = None if args.recipient else _passphrase(confirm=True)
    with backup_database.snapshot(settings.database_url) as (revision, chunks):
        manifest = {
            "format": 1,
            "revision": revision,
            "domain": settings.domain,
            "harbour": harbour_version(),
        }

        def produce(tar: tarfile.TarFile) -> None:
            _add(tar, MANIFEST, json.dumps(manifest).encode("utf-8"))
            key_file = settings.data_dir / SECRET_KEY
            if key_file.exists():
                _add(tar, SECRET_KEY, key_file.read_bytes())
            for number, chunk in enumerate(chunks):
                _add(tar, f"database/{number:06}.jsonl", chunk)
            for path, name in _media_files(settings.media_dir):
                try:
                    with path.open("rb") as handle:
                        tar.addfile(_member(name, os.fstat(handle.fileno()).st_size), handle)
                except FileNotFoundError:
                    continue  # deleted since the snapshot: its post is gone too

        backup_archive.write(args.file, produce, passphrase=passphrase, recipients=args.recipient)
    print(f"backup written to {args.file}")
    if not (settings.data_dir / SECRET_KEY).exists():
        print("the secret key is set by HARBOUR_SECRET_KEY: keep it with the backup")


def restore(settings: Settings, args: argparse.Namespace) -> None:
    """Restore the backup file into this node's (empty) database and data folder."""
    passphrase = _passphrase(confirm=False) if backup_archive.needs_passphrase(args.file) else None
    if _has_files(settings.media_dir) and not args.force:
        raise BackupError(f"{settings.media_dir} is not empty: restore into a new node or --force")
    migrate(settings.database_url)
    staging = settings.data_dir / f".restore-{secrets.token_hex(8)}"
    staging.mkdir(parents=True)
    try:
        with synchronous_engine(settings.database_url) as engine:
            with engine.connect() as connection, connection.begin():
                if not backup_database.is_empty(connection):
                    if not args.force:
                        raise BackupError(
                            "the database already holds a node: restore into a new one or --force"
                        )
                    backup_database.clear(connection)
                restorer = _Restorer(settings, connection, staging)
                backup_archive.read(
                    args.file, restorer.consume, passphrase=passphrase, identity_file=args.identity
                )
                restorer.check_complete()
            # committed: now the files
            _replace_dir(staging / "media", settings.media_dir)
            if restorer.secret_key is not None:
                _write_private(settings.data_dir / SECRET_KEY, restorer.secret_key)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"restored {restorer.rows} rows and {restorer.files} media files from {args.file}")
    if restorer.secret_key is None:
        print("the backup holds no secret key: set the old node's HARBOUR_SECRET_KEY here")


class _Restorer:
    """Takes a backup's tar members in order: manifest, secret key, rows, media."""

    def __init__(self, settings: Settings, connection: Any, staging: Path) -> None:
        self.settings = settings
        self.connection = connection
        self.staging = staging
        self.manifest: dict[str, Any] | None = None
        self.secret_key: bytes | None = None
        self.rows = 0
        self.files = 0

    def consume(self, tar: tarfile.TarFile) -> None:
        for member in tar:
            if not member.isfile():
                raise BackupError(f"this backup holds an unexpected entry {member.name!r}")
            content = tar.extractfile(member)
            assert content is not None  # a regular file always has content
            if self.manifest is None:
                self._check_manifest(member.name, content.read())
            elif member.name == SECRET_KEY:
                self.secret_key = content.read()
            elif member.name.startswith("database/"):
                self.rows += backup_database.load(self.connection, content.read().splitlines())
            elif member.name.startswith("media/"):
                self._write_media(member.name, content)
            else:
                raise BackupError(f"this backup holds an unexpected entry {member.name!r}")

    def check_complete(self) -> None:
        if self.manifest is None:
            raise BackupError("this Harbour backup is empty")

    def _check_manifest(self, name: str, content: bytes) -> None:
        try:
            manifest = json.loads(content) if name == MANIFEST else None
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict) or manifest.get("format") != 1:
            raise BackupError("this backup was made by another version of Harbour's format")
        head = backup_database.head_revision()
        if manifest.get("revision") != head:
            raise BackupError(
                f"this backup is of schema {manifest.get('revision')} and this Harbour's is "
                f"{head}: restore it with Harbour {manifest.get('harbour')}, then upgrade"
            )
        if manifest.get("domain") != self.settings.domain:
            raise BackupError(
                f"this backup is of the node {manifest.get('domain')}: restore it with "
                f"HARBOUR_DOMAIN={manifest.get('domain')} (other servers know its accounts so)"
            )
        self.manifest = manifest

    def _write_media(self, name: str, content: IO[bytes]) -> None:
        parts = PurePosixPath(name).parts
        if len(parts) < 2 or any(part in ("", ".", "..") or "\\" in part for part in parts):
            raise BackupError(f"this backup holds an unsafe file name {name!r}")
        target = self.staging.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as out:
            shutil.copyfileobj(content, out)
        self.files += 1


def _passphrase(*, confirm: bool) -> str:
    """The backup passphrase: HARBOUR_BACKUP_PASSPHRASE, else asked (never from argv)."""
    passphrase = os.environ.get(PASSPHRASE_VARIABLE, "")
    if not passphrase:
        if not sys.stdin.isatty():
            raise BackupError(f"set {PASSPHRASE_VARIABLE} or run this in a terminal")
        passphrase = getpass.getpass("Backup passphrase: ")
        if confirm and getpass.getpass("Again: ") != passphrase:
            raise BackupError("the passphrases differ")
    if confirm and len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"a backup passphrase has at least {MIN_PASSPHRASE} characters")
    return passphrase


def _add(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    tar.addfile(_member(name, len(content)), _Bytes(content))


class _Bytes:
    """Just enough of a file for tarfile to copy `content`."""

    def __init__(self, content: bytes) -> None:
        self._view = memoryview(content)

    def read(self, size: int = -1) -> bytes:
        size = len(self._view) if size < 0 else size
        piece, self._view = self._view[:size], self._view[size:]
        return bytes(piece)


def _member(name: str, size: int) -> tarfile.TarInfo:
    """A tar header that says nothing of the server (no owner, no times)."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    return info


def _media_files(media_dir: Path) -> Iterator[tuple[Path, str]]:
    if media_dir.is_dir():
        for path in sorted(media_dir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path, "media/" + path.relative_to(media_dir).as_posix()


def _has_files(directory: Path) -> bool:
    return directory.is_dir() and any(path.is_file() for path in directory.rglob("*"))


def _replace_dir(source: Path, target: Path) -> None:
    """Put `source` where `target` is, removing what was there (after --force)."""
    if target.exists():
        shutil.rmtree(target)
    if source.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)


def _write_private(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)
    os.replace(partial, path)
