"""Hosts left alone after a timeout: a host that did not answer within the transport's
deadline fails its requests at once for BACK_OFF seconds, so a slow server costs one wait,
not one each.

Unless this process stood still meanwhile (a paused VM or container, SIGSTOP, swapped out):
its deadlines then passed by no fault of the hosts. After a pause of 20 s, every host a
worker was sending to was left alone for a minute, and their deliveries failed at once
until then (`tests/scenarios/test_delivery_worker_frozen.py`: 212 of 600, the last ones
~2 minutes late). While requests wait, a timer ticks every TICK seconds; one that runs LATE
tells a pause, as does a tick still waiting that long past its time when a timeout is
handled first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

BACK_OFF = 60.0  # a host that timed out is not asked again for this long
MAX_BACKED_OFF = 10_000  # hosts remembered at most (the oldest forgotten first)
TICK = 0.5  # seconds between ticks while a request waits
LATE = 2.0  # a tick this late: the process stood still


class BackOff:
    """The hosts that timed out a moment ago, and this process's pauses."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}  # host[:port] -> until when (monotonic)
        self._waiting = 0
        self._tick: asyncio.TimerHandle | None = None
        self._tick_loop: asyncio.AbstractEventLoop | None = None
        self._stood_still_until = float("-inf")

    def refuses(self, host: str) -> bool:
        """Whether `host` timed out less than BACK_OFF seconds ago."""
        return self._until.get(host, 0.0) > time.monotonic()

    @contextmanager
    def waiting(self) -> Iterator[float]:
        """Around a request: ticks while any waits. Gives the time it started, on the loop's
        clock, which the ticks keep too. A tick left on another loop (one closed with a
        request still waiting: a test's, a command's) is dropped with the count of that
        loop's requests, which never end (attack10)."""
        loop = asyncio.get_running_loop()
        if self._tick is not None and self._tick_loop is not loop:
            self._tick.cancel()
            self._tick, self._waiting = None, 0
        if self._tick is None:
            self._schedule(loop)
        self._waiting += 1
        try:
            yield loop.time()
        finally:
            if self._tick_loop is loop:  # else its count was dropped
                self._waiting -= 1
            if not self._waiting and self._tick is not None:
                self._tick.cancel()
                self._tick = None

    def timed_out(self, host: str, started: float) -> None:
        """A request to `host` that began at `started` timed out: left alone, unless this
        process stood still since."""
        if self._stood_still_since(started):
            return
        self._until.pop(host, None)
        self._until[host] = time.monotonic() + BACK_OFF
        while len(self._until) > MAX_BACKED_OFF:
            del self._until[next(iter(self._until))]  # the oldest

    def _stood_still_since(self, started: float) -> bool:
        now = asyncio.get_running_loop().time()
        late = self._tick is not None and now - self._tick.when() > LATE
        return late or self._stood_still_until > started

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        self._tick, self._tick_loop = loop.call_at(loop.time() + TICK, self._ticked, loop), loop

    def _ticked(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._tick is not None
        if loop.time() - self._tick.when() > LATE:
            self._stood_still_until = loop.time()
        self._schedule(loop)
