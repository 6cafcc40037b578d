"""The signing process `signing_process.SigningProcess` starts: says it is ready (an empty
frame), reads frames of requests from its standard input, writes their headers to its
standard output, and ends when its input closes, or when the node that started it dies (the
kernel sends it SIGKILL then)."""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
from typing import Any, BinaryIO

from federation.signature_styles import SigningKey, signing_headers

FRAME = 4  # as `signing_process.FRAME`
CHUNK = 16  # requests signed at most before their headers go back
PR_SET_PDEATHSIG = 1


def main() -> None:
    """Sign what comes in until the input ends."""
    started_by = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != started_by:  # the node died before the line above
        return
    # Ctrl-C reaches the whole process group: the node ends it once it has signed what it
    # holds (its input closed), or the kernel does when the node dies.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keys: dict[int, str] = {}
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    _write(sink, [])  # ready: what it needs is imported
    while (head := source.read(FRAME)) and len(head) == FRAME:
        batch: list[tuple[Any, ...]] = pickle.loads(source.read(int.from_bytes(head, "big")))
        done: list[tuple[int, dict[str, str] | None, str | None]] = []
        for number, key, *rest in batch:
            if number < 0:  # a key, sent once: (-1, its number, its PEM)
                keys[key] = rest[0]
                continue
            key_id, style, method, scheme, path, netloc, headers, body = rest
            signer = SigningKey(key_id, keys[key])
            try:
                signed = signing_headers(method, scheme, path, netloc, headers, body, signer, style)
                done.append((number, signed, None))
            except Exception as error:  # that request's own failure, raised in the node
                done.append((number, None, str(error) or type(error).__name__))
            if len(done) >= CHUNK:
                _write(sink, done)
                done = []
        if done:
            _write(sink, done)


def _write(sink: BinaryIO, done: list[tuple[int, dict[str, str] | None, str | None]]) -> None:
    frame = pickle.dumps(done, pickle.HIGHEST_PROTOCOL)
    sink.write(len(frame).to_bytes(FRAME, "big") + frame)
    sink.flush()


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, KeyboardInterrupt):  # the node went away
        pass
