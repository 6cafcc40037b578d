"""Requests first: background work in a serving process makes way for requests in flight.

The worker runs in the web process (`harbour serve`) and shares its one event loop and CPU:
while it applied items, inbox POSTs waited behind its statements, and a burst was accepted
at a third of the rate the same process reached with no worker (issue 18). A request being
served counts itself (`serving`); background work (the worker's task, marked with
`BACKGROUND`) waits before each transaction while any is in flight, at most MAX_WAIT each
time, so it slows under a flood but never stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Context, ContextVar, copy_context

BACKGROUND: ContextVar[bool] = ContextVar("background", default=False)
MAX_WAIT = 0.2
STEP = 0.002
_in_flight = 0


@contextmanager
def serving() -> Iterator[None]:
    """A request of this process is being served for the duration of the block."""
    global _in_flight
    _in_flight += 1
    try:
        yield
    finally:
        _in_flight -= 1


def busy() -> bool:
    """Whether a request of this process is being served now."""
    return _in_flight > 0


async def make_way() -> None:
    """In background work, wait while requests are in flight (at most MAX_WAIT)."""
    if not BACKGROUND.get():
        return
    waited = 0.0
    while _in_flight and waited < MAX_WAIT:
        await asyncio.sleep(STEP)
        waited += STEP


def background() -> Context:
    """A context for a background task (`asyncio.create_task(..., context=background())`)."""
    context = copy_context()
    context.run(BACKGROUND.set, True)
    return context
