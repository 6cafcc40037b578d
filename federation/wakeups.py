"""Wake-ups across processes on PostgreSQL: a worker LISTENs on its own connection for the
NOTIFY that `jobs.announce` sends in each transaction that queues work, whichever process
(a `harbour serve --no-worker`, another worker) committed it. The poll stays the fallback:
while the connection is down the worker still finds its work within a second."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from content.kept_connection import keep_connected
from federation.jobs import CHANNEL

if TYPE_CHECKING:
    from psycopg import AsyncConnection

log = logging.getLogger("harbour.worker")


async def listen(database_url: str, wakeup: asyncio.Event) -> None:
    """Set `wakeup` on every announcement until cancelled, listening again when the
    connection fails (`keep_connected`)."""

    async def start(connection: AsyncConnection[Any]) -> None:
        await connection.execute(f"LISTEN {CHANNEL}")
        wakeup.set()  # anything committed while nobody listened

    async def hear(connection: AsyncConnection[Any]) -> None:
        async for _ in connection.notifies():
            wakeup.set()

    failed = "listening for new jobs failed (%s); polling until it is back in %.0f s"
    await keep_connected(database_url, start, hear, failed, log)
