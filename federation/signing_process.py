"""Requests signed in a process of their own during a burst, beside the event loop's, handed
over in batches.

A fan-out's signatures took a whole core: signed on the event loop, or in a thread that
waited for the GIL behind the loop's Python between two of them, they bounded one process
to one core (issue 18). Here a child process (`federation.signer_child`) signs: everything
a loop iteration asks for goes to it in one pickled frame (a key's PEM once, then only the
parts of each request), and it answers in frames of up to CHUNK signed requests. It starts
only when the loop has signed BURST requests within a second, where the process may use
more than one core: a post to a few servers is signed on the loop (~0.3 ms each), and a
node that never fans out widely never starts one (idle memory: ~44 MB once started). Until
it says it is ready (after its imports), the loop signs. It reads its requests from a pipe
and ends when that pipe closes, so it ends with the node (also when the node is killed: it
asks the kernel to end it then). If it dies, or a request waits STALL_SECONDS in it (then
it is killed), the loop signs what it held, and the next burst starts another (one at most
every RESTART seconds). Left IDLE seconds without a request, it is ended as the node ends
it, its input closed once it holds nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import subprocess
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

from activitypub import SignatureError
from federation.signature_styles import SigningKey, Style, signing_headers

# A process of its own where the node may use more than one core (none on one core).
SEPARATE = len(os.sched_getaffinity(0)) > 1
FRAME = 4  # bytes of a frame's length, big-endian, before its pickle
RESTART = 10.0  # seconds at least between two starts of the signing process
# Requests the loop signs within a second that start the signing process: a fan-out. A
# post to a few servers costs the loop ~0.3 ms a signature, less than starting a process.
BURST = 64
# Seconds a request may wait in the signing process before it counts as hung or too slow
# (stopped, swapped out, starved): it is killed, and the loop signs what it held. A fan-out's
# 1,000 requests wait ~0.4 s at most for it on two cores.
STALL_SECONDS = 5.0
# Seconds without a request after which the signing process is ended (its ~44 MB given back):
# a small node's post reaches its followers in one burst, and idle it keeps its memory low.
IDLE = 60.0
# Seconds a signing process may take to say it is ready (its imports take ~0.12 s): one that
# has not by then is hung, killed, and the next burst starts another.
START_SECONDS = 30.0

Headers = dict[str, str]
log = logging.getLogger("harbour.signing")


class SignerEnded(Exception):
    """The signing process ended before it signed this request."""


class SigningProcess:
    """Signs requests (`signing_headers`) on the loop, and in a child process once `burst`
    come within a second, unless `separate` is false (by default, where the node has one
    core: `SEPARATE`)."""

    def __init__(self, *, separate: bool | None = None, burst: int | None = None) -> None:
        self._separate = SEPARATE if separate is None else separate
        self._burst = BURST if burst is None else burst
        self._second = 0.0  # the loop's time the current second of signing began
        self._signed = 0  # requests the loop signed in it
        self._child: _Child | None = None
        self._starting: asyncio.Task[None] | None = None
        self._started_at = 0.0  # the loop's time of the last start

    async def headers(
        self,
        method: str,
        scheme: str,
        path: str,
        netloc: str,
        headers: Headers,
        body: bytes,
        signer: SigningKey,
        style: Style,
    ) -> Headers:
        """The headers that sign the request in `style` (`signing_headers`)."""
        request = (method, scheme, path, netloc, headers, body)
        child = self._child
        if child is not None and child.ready and child.loop is asyncio.get_running_loop():
            with suppress(SignerEnded):  # it ended (killed, hung): the loop signs it
                return await child.sign(request, signer, style)
        if self._separate and self._in_burst():
            self._start()  # meanwhile the loop signs
        return signing_headers(*request, signer, style)

    def _in_burst(self) -> bool:
        """Count a request the loop signs; whether `burst` came within a second."""
        now = asyncio.get_running_loop().time()
        if now - self._second > 1.0:
            self._second, self._signed = now, 0
        self._signed += 1
        return self._signed >= self._burst

    @property
    def pid(self) -> int | None:
        """The signing process's id, while one runs."""
        child = self._child
        return None if child is None or child.ended else child.pid

    @property
    def ready(self) -> bool:
        """Whether a signing process runs and answers: requests go to it."""
        child = self._child
        return child is not None and child.ready

    @property
    def held(self) -> int:
        """Requests handed to the signing process and not signed yet."""
        child = self._child
        return 0 if child is None else len(child.waiting)

    async def aclose(self) -> None:
        """End the signing process, if one runs, once it has signed what it holds."""
        if self._starting is not None and self._starting.get_loop() is asyncio.get_running_loop():
            await self._starting  # a fork and exec: no wait for its imports
        child, self._child = self._child, None
        if child is not None and child.loop is asyncio.get_running_loop():
            await child.end()
        elif child is not None:  # started in another event loop, since closed
            child.kill()

    def _start(self) -> None:
        """Start a signing process in this event loop, unless one is starting or one
        started less than RESTART seconds ago (a process that cannot run is not started
        again and again: the loop signs meanwhile)."""
        loop = asyncio.get_running_loop()
        child = self._child
        if child is not None and not child.ended and child.loop is loop:
            return  # it runs, or still imports what it needs
        starting = self._starting
        if starting is not None and starting.get_loop() is loop:
            if not starting.done() or loop.time() - self._started_at < RESTART:
                return
        if child is not None and child.loop is not loop:
            child.kill()  # of an event loop that closed (one of this loop ends itself)
        self._child = None
        self._started_at = loop.time()
        self._starting = loop.create_task(self._spawn())

    async def _spawn(self) -> None:
        try:
            _, child = await asyncio.get_running_loop().subprocess_exec(
                _Child,
                sys.executable,
                "-P",  # not the working directory's modules: the node's own (`_CODE`)
                "-m",
                "federation.signer_child",
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                env=_child_environment(),
            )
        except OSError as error:
            log.warning("the signing process could not start: %s", error)
            return
        self._child = child


def _child_environment() -> dict[str, str]:
    """The node's environment, and the folder of the code the node runs first on the module
    path where the child (`-P`) would not find it otherwise: the node's first path entry (the
    working folder of `python -m`), which the child does not get, started the installed code
    (attack11). Anywhere else (site-packages, PYTHONPATH) it is left where it is: first, it
    put site-packages ahead of the standard library (attack12)."""
    elsewhere = {os.path.abspath(entry) for entry in sys.path[1:] if entry}
    if _CODE in elsewhere:
        return dict(os.environ)
    paths = [_CODE, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


_CODE = str(Path(__file__).resolve().parent.parent)  # the folder holding `federation`


class _Child(asyncio.SubprocessProtocol):
    """One signing process and the requests it holds: ready once its first (empty) frame
    came back, after its imports; killed once a request has waited STALL_SECONDS in it. Its
    pipes and process are closed when it ends, when the node closes it, or when its event
    loop shuts down (`_watch`)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.ended = False
        self._answered = False  # it has imported what it needs and said so
        # Requests handed over, oldest first, with the loop's time each was: number -> both.
        self.waiting: dict[int, tuple[asyncio.Future[Headers], float]] = {}
        self._transport: asyncio.SubprocessTransport | None = None
        self._keys: dict[str, int] = {}  # private PEM -> its number in the child
        self._outbox: list[tuple[Any, ...]] = []
        self._number = 0
        self._buffer = bytearray()
        self._gone: asyncio.Future[None] = self.loop.create_future()
        self._watching: asyncio.Task[None] | None = None  # once it runs (`connection_made`)
        self._used = self.loop.time()  # the last request's time
        self._stall_check: asyncio.TimerHandle | None = None

    @property
    def ready(self) -> bool:
        """Whether it takes requests: it said it is ready, and has not ended."""
        return self._answered and not self.ended

    @property
    def pid(self) -> int:
        assert self._transport is not None
        return self._transport.get_pid()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """It runs: watch it, and end it when left idle. (A start that failed made no task
        that would wait for it forever.)"""
        assert isinstance(transport, asyncio.SubprocessTransport)
        self._transport = transport
        self._watching = self.loop.create_task(self._watch())
        self.loop.call_later(IDLE, self._end_if_idle)
        self.loop.call_later(START_SECONDS, self._kill_if_never_ready)

    def sign(
        self, request: tuple[Any, ...], signer: SigningKey, style: Style
    ) -> asyncio.Future[Headers]:
        """Hand the request to the child with the others of this loop iteration."""
        self._used = self.loop.time()
        if self._stall_check is None:
            self._stall_check = self.loop.call_later(STALL_SECONDS, self._kill_if_stalled)
        if not self._outbox:
            self.loop.call_soon(self._send)
        key = self._keys.get(signer.private_pem)
        if key is None:
            key = self._keys[signer.private_pem] = len(self._keys)
            self._outbox.append((-1, key, signer.private_pem))
        self._number += 1
        future = self.loop.create_future()
        self.waiting[self._number] = (future, self._used)
        self._outbox.append((self._number, key, signer.key_id, style, *request))
        return future

    def _send(self) -> None:
        frame = pickle.dumps(self._outbox, pickle.HIGHEST_PROTOCOL)
        self._outbox = []
        if not self.ended and self._transport is not None:
            pipe = self._transport.get_pipe_transport(0)
            assert isinstance(pipe, asyncio.WriteTransport)
            pipe.write(len(frame).to_bytes(FRAME, "big") + frame)

    def _kill_if_stalled(self) -> None:
        """Kill it if the oldest request it holds has waited STALL_SECONDS: they fail with
        `SignerEnded`, and the loop signs them. A hung process held every signed request of
        the node until the transport's deadline blamed the remote servers (attack11); one
        answering a frame every few seconds held them at its pace (attack12)."""
        self._stall_check = None
        if self.ended or not self.waiting:
            return
        _, oldest = next(iter(self.waiting.values()))
        waited = self.loop.time() - oldest
        if waited < STALL_SECONDS:
            self._stall_check = self.loop.call_later(STALL_SECONDS - waited, self._kill_if_stalled)
            return
        log.warning("a request waited %.0f s for the signing process; ending it", waited)
        self.kill()
        self._end()

    def _kill_if_never_ready(self) -> None:
        """Kill it if it has not said it is ready by START_SECONDS: a process hung in its
        imports was otherwise kept for good, and no other was started (attack17)."""
        if not self._answered and not self.ended:
            log.warning("the signing process did not start in %.0f s; ending it", START_SECONDS)
            self.kill()
            self._end()

    def _end_if_idle(self) -> None:
        """Close its input if it was left IDLE seconds holding nothing since it said it is
        ready (it ends once it has signed what it read); else look again when it may be.
        Counted from its start, a process still importing on a loaded machine was ended
        before it was ready, and no request asked for another: a test waited forever."""
        if self.ended:
            return
        if not self._answered:  # still importing: ended only once hung (START_SECONDS)
            self.loop.call_later(IDLE, self._end_if_idle)
            return
        idle = self.loop.time() - self._used
        if idle < IDLE or self.waiting or self._outbox:
            self.loop.call_later(max(IDLE - idle, 0.1), self._end_if_idle)
            return
        self.ended = True  # the next request starts another
        if self._transport is not None and (pipe := self._transport.get_pipe_transport(0)):
            pipe.close()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        """Settle each request as its headers (or its error) come back."""
        self._buffer += data
        while len(self._buffer) >= FRAME:
            end = FRAME + int.from_bytes(self._buffer[:FRAME], "big")
            if len(self._buffer) < end:
                return
            frame = bytes(self._buffer[FRAME:end])
            del self._buffer[:end]
            if self.ended:  # killed (hung): what it held is the loop's to sign now
                return
            if not self._answered:  # it is idle from now on: its imports are no idleness
                self._answered, self._used = True, self.loop.time()
            for number, headers, error in pickle.loads(frame):
                future, _ = self.waiting.pop(number)
                if future.done():  # its request was cancelled (a deadline) meanwhile
                    continue
                if error is None:
                    future.set_result(headers)
                else:
                    future.set_exception(SignatureError(error))

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:  # its output: nothing more comes back
            self._end()

    def process_exited(self) -> None:
        self._end()
        if not self._gone.done():
            self._gone.set_result(None)

    def _end(self) -> None:
        """Fail the requests it still held."""
        self.ended = True
        if self.waiting:
            log.warning("the signing process ended with %d requests", len(self.waiting))
        for future, _ in self.waiting.values():
            if not future.done():
                future.set_exception(SignerEnded("the signing process ended"))
        self.waiting.clear()

    async def _watch(self) -> None:
        """Close its pipes and process once it exited, or when the event loop shuts down
        (its tasks cancelled) without the node having closed it."""
        try:
            await asyncio.shield(self._gone)  # a cancellation leaves `_gone` to wait on
        finally:
            self.ended = True
            if self._transport is not None:
                if not self._gone.done():  # the loop shuts down: end it, and reap it
                    self._transport.kill()
                    with suppress(TimeoutError, asyncio.CancelledError):
                        await asyncio.wait_for(self._gone, 5)
                self._transport.close()

    async def end(self) -> None:
        """Close its input (it ends once it has signed all it read) and wait for it to go."""
        if self._transport is not None and not self.ended:
            pipe = self._transport.get_pipe_transport(0)
            if pipe is not None:
                pipe.close()
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._gone), 5)
        if self._watching is not None:
            self._watching.cancel()
            with suppress(asyncio.CancelledError):
                await self._watching

    def kill(self) -> None:
        """End it at once, if it still runs: through its transport, which knows whether it
        has exited and been reaped (by then its process id may be another process's, and a
        kill by the id alone killed that one: attack11)."""
        self.ended = True
        if self._transport is not None:
            with suppress(ProcessLookupError):
                self._transport.kill()
