"""Loopback servers written with asyncio streams, every connection of which is ended and
closed when the server is, while the event loop still runs.

Python 3.11's `Server.close()` stops accepting but leaves the connections open, so each test
server closed the ones its handler had noted. A connection accepted just before the close
whose handler had not started yet was noted by nobody: its socket, left to the garbage
collector, warned as unclosed in whatever test ran then and failed it (two CI runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
SETTLE = 0.05  # seconds for a connection accepted before the close to reach its handler


@asynccontextmanager
async def stream_server(handle: Handler, **listen: Any) -> AsyncIterator[asyncio.Server]:
    """`asyncio.start_server(handle, **listen)`; on the way out it stops accepting, then
    cancels every handler still running and closes every connection. A handler whose client
    left mid-request ends quietly."""
    writers: list[asyncio.StreamWriter] = []
    handlers: set[asyncio.Task[Any]] = set()

    async def noted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away (its own timeout): what it saw is the test's to check

    server = await asyncio.start_server(noted, **listen)
    try:
        yield server
    finally:
        server.close()
        await asyncio.sleep(SETTLE)
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        for writer in writers:
            writer.close()
        await asyncio.sleep(0)  # their transports let go of their sockets while the loop runs


def port_of(server: asyncio.Server) -> int:
    """The port a server listening on one socket took."""
    return int(server.sockets[0].getsockname()[1])
