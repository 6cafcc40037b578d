"""The encrypted backup file: a tar stream encrypted with age (through pyrage).

The file is a one-line header, then an age file. With a passphrase, the header is followed by
a fresh X25519 identity encrypted with the passphrase (age's scrypt recipient, itself a small
age file, which `age_scrypt` writes at a fixed work factor), and the tar stream is encrypted
to that identity's public key: age's passphrase mode only works on bytes held in memory, its
public-key mode streams. With public keys the tar stream is encrypted to them and the
matching identity file decrypts it. Either way the body can also be read with the `age` tool
alone (see DESIGN.md). The plaintext never touches disk.
"""

from __future__ import annotations

import errno
import os
import tarfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import pyrage
from pyrage import x25519

from node import age_scrypt
from node.commands import CommandError

PASSPHRASE_HEADER = b"harbour-backup/1 passphrase\n"
RECIPIENTS_HEADER = b"harbour-backup/1 recipients\n"
MAX_WRAPPED_IDENTITY = 4096


class BackupError(CommandError):
    """A backup cannot be written or read; the message is one line for the terminal."""


def write(
    path: Path,
    produce: Callable[[tarfile.TarFile], None],
    *,
    passphrase: str | None = None,
    recipients: Sequence[str] = (),
    work_factor: int = age_scrypt.WORK_FACTOR,
) -> None:
    """Write the tar stream `produce` fills, encrypted, to `path` (owner-readable only).

    The file appears under its name only once complete; a failure leaves nothing behind.
    `work_factor` is the passphrase lock's scrypt log N: `harbour backup create` always
    writes age_scrypt.WORK_FACTOR; the tests of other things about the file pass a low one."""
    keys = [_recipient(text) for text in recipients]
    header = RECIPIENTS_HEADER
    if passphrase is not None:
        identity = x25519.Identity.generate()
        wrapped = age_scrypt.encrypt(str(identity).encode("ascii"), passphrase, log_n=work_factor)
        header = PASSPHRASE_HEADER + f"{len(wrapped)}\n".encode("ascii") + wrapped
        keys.append(identity.to_public())
    if not keys:
        raise BackupError("give a passphrase or at least one --recipient public key")
    partial = path.with_name(f".{path.name}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(header)
            _encrypt(out, keys, produce)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def needs_passphrase(path: Path) -> bool:
    """Whether the backup at `path` was encrypted with a passphrase (else to public keys)."""
    with _open(path) as source:
        return _header(source) == PASSPHRASE_HEADER


def read(
    path: Path,
    consume: Callable[[tarfile.TarFile], None],
    *,
    passphrase: str | None = None,
    identity_file: Path | None = None,
) -> None:
    """Decrypt the backup at `path` and hand its tar stream to `consume`.

    Raises BackupError for a wrong passphrase or key and for a damaged or truncated file;
    `consume` must keep what it did undoable until it returns, as the last check (age's
    authentication of the file's end) happens only after the whole stream was read."""
    with _open(path) as source:
        if _header(source) == PASSPHRASE_HEADER:
            identities = [_unwrap(source, passphrase)]
        elif identity_file is not None:
            identities = _identities(identity_file)
        else:
            raise BackupError("this backup was encrypted to a public key: give --identity FILE")
        _decrypt(source, identities, consume)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None


def _header(source: BinaryIO) -> bytes:
    header = source.readline(64)
    if header not in (PASSPHRASE_HEADER, RECIPIENTS_HEADER):
        raise BackupError("this file is not a Harbour backup")
    return header


def _unwrap(source: BinaryIO, passphrase: str | None) -> x25519.Identity:
    if passphrase is None:
        raise BackupError("this backup needs its passphrase")
    length = source.readline(16).strip()
    if not length.isdigit() or int(length) > MAX_WRAPPED_IDENTITY:
        raise BackupError("this Harbour backup is damaged")
    try:
        secret = age_scrypt.decrypt(source.read(int(length)), passphrase)
        return x25519.Identity.from_str(secret.decode("ascii"))
    except age_scrypt.WrongPassphrase:
        raise BackupError("wrong passphrase for this backup") from None
    except age_scrypt.TooCostly as costly:
        raise BackupError(
            f"this backup's passphrase lock asks for scrypt work factor {costly.log_n}"
            f" ({costly.mebibytes} MiB of memory), more than Harbour accepts"
            f" ({age_scrypt.MAX_WORK_FACTOR}) or this machine has: the passphrase was not tried"
        ) from None
    except (age_scrypt.Damaged, UnicodeDecodeError, pyrage.IdentityError):
        raise BackupError("this Harbour backup is damaged") from None


def _recipient(text: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(text.strip())
    except pyrage.RecipientError:
        raise BackupError(f"{text!r} is not an age public key (age1...)") from None


def _identities(path: Path) -> list[x25519.Identity]:
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    try:
        keys = [x25519.Identity.from_str(line.strip()) for line in lines if line.startswith("AGE-")]
    except pyrage.IdentityError:
        raise BackupError(f"{path} holds a damaged age identity") from None
    if not keys:
        raise BackupError(f"{path} holds no age identity (AGE-SECRET-KEY-...)")
    return keys


def _encrypt(
    out: BinaryIO, keys: list[x25519.Recipient], produce: Callable[[tarfile.TarFile], None]
) -> None:
    """Age-encrypt into `out` the tar stream `produce` writes."""

    def write(pipe: BinaryIO) -> None:
        with tarfile.open(fileobj=pipe, mode="w|") as tar:
            produce(tar)

    _through_pipe(write, lambda pipe: pyrage.encrypt_io(pipe, out, keys))


def _decrypt(
    source: BinaryIO,
    identities: list[x25519.Identity],
    consume: Callable[[tarfile.TarFile], None],
) -> None:
    """Hand the tar stream age decrypts from `source` to `consume`."""

    def write(pipe: BinaryIO) -> None:
        try:
            pyrage.decrypt_io(source, pipe, identities)
        except (pyrage.DecryptError, OSError) as error:
            if isinstance(error, OSError) and error.errno == errno.EPIPE:
                raise  # the reader stopped: its own error tells why
            raise BackupError(
                "cannot decrypt this backup: wrong key, or the file is damaged or cut short"
            ) from None

    def read(pipe: BinaryIO) -> None:
        with tarfile.open(fileobj=pipe, mode="r|") as tar:
            consume(tar)
        while pipe.read(65536):
            pass  # the tar's padding: age checks the file's end only at the end

    try:
        _through_pipe(write, read)
    except tarfile.TarError:
        raise BackupError("this Harbour backup is damaged") from None


def _through_pipe(write: Callable[[BinaryIO], None], read: Callable[[BinaryIO], None]) -> None:
    """Run `write` in a thread filling a pipe that `read` empties in this one, so neither
    side holds the whole stream. The reader's BackupError (a verdict on what it read) wins;
    otherwise a writer's failure does, as the reader then only saw the stream end early."""
    reader, writer = os.pipe()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with open(writer, "wb") as pipe:
                write(pipe)
        except BaseException as error:  # raised in the calling thread below
            failures.append(error)

    thread = threading.Thread(target=run, name="backup-stream")
    thread.start()
    try:
        with open(reader, "rb") as pipe:
            read(pipe)
    except BaseException as error:
        thread.join()
        writer_stopped = failures and isinstance(failures[0], OSError)
        if failures and not isinstance(error, BackupError) and not writer_stopped:
            raise failures[0] from None
        raise
    thread.join()
    if failures:
        raise failures[0]
