"""Node processes forked from a process that has already imported Harbour.

A `harbour serve` spent most of its ~0.8 s of start-up CPU importing Harbour and its
libraries, and the suite starts hundreds. Each test worker keeps one zygote: a process that
imports what a node imports, then forks a child per node start. The child takes the node's
environment, working folder and log (as stdout and stderr) and runs `harbour` with its
arguments, exactly as the console script would; it is its own process, with its own
database, port and data folder, and ends by itself or by a signal as before.

The child is forked twice, so that it is the test worker's own child (the worker is a
"subreaper", PR_SET_CHILD_SUBREAPER, while it asks for a node): the worker waits for it,
reads its exit status and signals it as it would a `subprocess.Popen`. Where that is not
possible the rig starts `harbour` as a plain process (`start` returns None). A forked node
shows in `ps` with the zygote's command line, not `harbour serve`.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

# What the zygote imports before forking: what `harbour serve` imports to start, what it
# imports as it serves (uvicorn's protocols, the database drivers), and the libraries a node
# imports lazily on its first request, delivery, page or signature. A module missing here is
# only imported by the node itself, as before.
PRELOAD = (
    "node.cli",
    "node.commands",
    "node.app",
    "node.web.pages",
    "node.web.directory",
    "node.web.settings_pages",
    "node.web.admin_pages",
    "node.api.mastodon.statuses",
    "httpx",
    "aiohttp",
    "jinja2",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "nh3",
    "argon2",
    "babel.dates",
    "babel.numbers",
    "babel.support",
    "node.group_commands",
    "node.sqlite_trips",
    "node.web.calendar",
    "node.web.events",
    "starlette.templating",
    "jinja2.ext",
    "aiosqlite",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg",
    "anyio._backends._asyncio",
    "anyio.streams.memory",
    "uvicorn.lifespan.on",
    "uvicorn.loops.asyncio",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.websockets.websockets_sansio_impl",
    "langcodes",
    "language_data.names",
    "language_data.name_data",
    "pycountry",
)
PR_SET_CHILD_SUBREAPER = 36


class ForkedProcess:
    """A forked node process, handled as the `subprocess.Popen` it replaces."""

    def __init__(self, pid: int, args: list[str]) -> None:
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                os.close(self._pidfd)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            select.select([self._pidfd], [], [], left)  # readable once the child has ended
        return code

    def send_signal(self, signal: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal)

    def terminate(self) -> None:
        self.send_signal(15)

    def kill(self) -> None:
        self.send_signal(9)


class Zygote:
    """The test worker's end: starts the zygote on first use and asks it for children."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._usable: bool | None = None  # found out on first use

    def start(
        self, program: Path, args: list[str], env: dict[str, str], log: Path
    ) -> ForkedProcess | None:
        """A running `program *args` (the `harbour` console script) with `env`, its output
        appended to `log`; None where forking is not possible (start a process instead)."""
        if self._usable is None:
            self._usable = hasattr(os, "pidfd_open") and _subreaper(True)
            _subreaper(False)
        if not self._usable:
            return None
        request = {"program": str(program), "args": args, "env": env, "log": str(log)}
        request["cwd"] = os.getcwd()
        with self._lock:
            zygote = self._running()
            assert zygote.stdin is not None and zygote.stdout is not None
            # A subreaper only while the node is forked: the worker adopts the node, and not
            # every other orphan of its descendants (Chromium's crash handlers, which it
            # would never wait for, left as zombies).
            _subreaper(True)
            try:
                zygote.stdin.write(json.dumps(request).encode() + b"\n")
                zygote.stdin.flush()
                answer = zygote.stdout.readline()
            finally:
                _subreaper(False)
        if not answer:
            raise RuntimeError(f"the node zygote ended (status {zygote.wait()})")
        return ForkedProcess(int(answer), [str(program), *args])

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            # Started as the console script starts `harbour`: the same interpreter and
            # environment, its own folder (not the working one) first on the import path.
            here = Path(__file__).resolve()
            code = (
                f"import runpy, sys; sys.path[0] = {str(Path(sys.executable).parent)!r}; "
                f"runpy.run_path({str(here)!r}, run_name='__main__')"
            )
            self._process = subprocess.Popen(
                [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
        return self._process

    def close(self) -> None:
        """End the zygote (its children run on until they are stopped); killed if it has not
        ended CLOSE_SECONDS after its input closed."""
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=CLOSE_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


# In most full runs one worker's zygote outlived its closed input, and its wait of 30 s was
# the run's last half minute (the zygote ends in well under a second otherwise).
CLOSE_SECONDS = 5.0


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _subreaper(adopting: bool) -> bool:
    """Make this process adopt its descendants whose parent ends, or not (Linux only)."""
    try:
        return bool(_libc().prctl(PR_SET_CHILD_SUBREAPER, int(adopting), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The zygote's loop: a child forked for each request, its pid answered, until EOF."""
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    # The ORM's mappers, which a node configures at its first query (~0.1 s of CPU).
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    for line in requests:
        answers.write(b"%d\n" % _fork(json.loads(line)))
        answers.flush()


def _fork(request: dict[str, object]) -> int:
    """Fork twice: the grandchild runs the request, and the middle child ends at once, so
    that the grandchild's parent becomes the test worker (the subreaper above)."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        try:
            os.close(read_end)
            child = os.fork()
            if child == 0:
                os.close(write_end)
                _run(request)
            os.write(write_end, b"%d" % child)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as report:
        pid = int(report.read())
    os.waitpid(middle, 0)
    return pid


def _run(request: dict[str, object]) -> None:
    """In the forked child: become `harbour *args` with the request's environment, working
    folder and log, and exit as the console script would."""
    status: object = 1
    try:
        log = os.open(str(request["log"]), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
            if fd > 2:  # the zygote's pipes, this listing's own: none is the node's
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.chdir(str(request["cwd"]))
        env = request["env"]
        assert isinstance(env, dict)
        os.environ.clear()
        os.environ.update(env)
        time.tzset()
        args = request["args"]
        assert isinstance(args, list)
        sys.argv = [str(request["program"]), *args]
        from node import cli

        cli.main(args)
        status = 0
    except SystemExit as end:
        status = end.code
    except BaseException:
        import traceback

        traceback.print_exc()
    os._exit(_exit_code(status))


def _exit_code(status: object) -> int:
    """What the interpreter does at exit with `status` (as `sys.exit`'s argument)."""
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:
        print(status, file=sys.stderr)
        code = 1
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # wait for non-daemon threads
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        code = code or 1
    return code


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
