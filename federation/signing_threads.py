"""Requests signed in threads beside the event loop, handed over in batches.

The RSA operation releases the GIL (cryptography >= 47), so signing runs beside the event
loop where the process may use more than one core. One hand-off per request
(`run_in_executor`: a submitted work item, a wrapped future, a wake-up of the loop through
its self-pipe) cost the loop ~30 µs of CPU a delivery; here a thread takes every request
waiting (up to CHUNK) and gives back their headers with one wake-up (issue 18).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# Where the process may use more than one core, this many threads sign (none on one core).
SIGNING_THREADS = min(2, len(os.sched_getaffinity(0)) - 1)
# Requests a thread signs at most before handing their headers back, and the seconds a
# signed request waits at most for others to go with it (only while more are waiting): every
# hand-back wakes the loop through its self-pipe; 8 within 2 ms cost the loop ~10 % more CPU
# a request than 32 within 6 ms (issue 18).
CHUNK = 32
HOLD = 0.006

Headers = dict[str, str]
Signed = tuple[asyncio.Future[Headers], Headers | None, Exception | None]


class SigningThreads:
    """Runs `sign(*parts)` in `threads` threads, or on the loop when `threads` is 0."""

    def __init__(self, sign: Callable[..., Headers], threads: int = SIGNING_THREADS) -> None:
        self._sign = sign
        self._threads = threads
        self._pool = (
            ThreadPoolExecutor(threads, thread_name_prefix="harbour-sign") if threads else None
        )
        self._waiting: deque[tuple[tuple[Any, ...], asyncio.Future[Headers]]] = deque()
        self._lock = threading.Lock()  # guards `_draining` and the thread's last look
        self._draining = 0  # threads taking from `_waiting`

    async def headers(self, *parts: Any) -> Headers:
        """The headers `sign(*parts)` makes, made in a thread where there is one."""
        if self._pool is None:
            return self._sign(*parts)
        future: asyncio.Future[Headers] = asyncio.get_running_loop().create_future()
        self._waiting.append((parts, future))
        with self._lock:  # a thread that found nothing waiting has already counted itself out
            start = self._draining < self._threads
            self._draining += start
        if start:
            self._pool.submit(self._drain)
        return await future

    def close(self) -> None:
        """Stop the threads (requests still waiting are never signed)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _drain(self) -> None:
        """In a thread: sign what waits, handing back up to CHUNK requests signed within
        HOLD at once, each to its own event loop; stop when nothing waits."""
        while True:
            with self._lock:
                if not self._waiting:
                    self._draining -= 1
                    return
            signed: list[Signed] = []
            since = time.monotonic()
            while len(signed) < CHUNK and time.monotonic() - since < HOLD:
                try:
                    parts, future = self._waiting.popleft()
                except IndexError:
                    break
                try:
                    signed.append((future, self._sign(*parts), None))
                except Exception as error:  # the request's own failure, raised there
                    signed.append((future, None, error))
            for loop in {future.get_loop() for future, _, _ in signed}:
                try:
                    loop.call_soon_threadsafe(
                        _settle, [one for one in signed if one[0].get_loop() is loop]
                    )
                except RuntimeError:  # that loop is closed: nobody waits for these
                    pass


def _settle(signed: list[Signed]) -> None:
    for future, headers, error in signed:
        if future.done():  # its request was cancelled (a deadline) meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            assert headers is not None
            future.set_result(headers)
