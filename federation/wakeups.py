"""Wake-ups across processes on PostgreSQL: a worker LISTENs on its own connection for the
NOTIFY that `jobs.announce` sends in each transaction that queues work, whichever process
(a `harbour serve --no-worker`, another worker) committed it. The poll stays the fallback:
while the connection is down the worker still finds its work within a second."""

from __future__ import annotations

import asyncio
import logging

from content.orm import libpq_conninfo
from federation.jobs import CHANNEL

log = logging.getLogger("harbour.worker")
FIRST_RETRY = 1.0  # seconds before listening again after the connection failed
LAST_RETRY = 60.0  # the longest wait, doubling from FIRST_RETRY


async def listen(database_url: str, wakeup: asyncio.Event) -> None:
    """Set `wakeup` on every announcement until cancelled, reconnecting with backoff."""
    import psycopg  # here, not at the top: a node on SQLite never loads it (start-up, memory)

    conninfo = libpq_conninfo(database_url)
    wait = FIRST_RETRY
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo, autocommit=True
            ) as connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                wait = FIRST_RETRY
                wakeup.set()  # anything committed while nobody listened
                async for _ in connection.notifies():
                    wakeup.set()
        except psycopg.Error as error:
            log.warning(
                "listening for new jobs failed (%s); polling until it is back in %.0f s",
                type(error).__name__,
                wait,
            )
        await asyncio.sleep(wait)
        wait = min(wait * 2, LAST_RETRY)
