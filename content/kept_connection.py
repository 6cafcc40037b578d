"""A PostgreSQL connection of a task's own, kept open for as long as the task runs.

The worker's LISTEN for new jobs (`federation.wakeups`), the streaming hub's LISTEN for
events (`node.streaming.hub`) and the worker's liveness lock (`federation.liveness`) each
hold one such connection beside the pool. When it fails (the server restarts, a firewall
drops it, a check times out) it is logged once and opened again after a wait that doubles
from FIRST_RETRY to LAST_RETRY, and starts again from FIRST_RETRY once a connection is made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn

from content.orm import libpq_conninfo

if TYPE_CHECKING:
    from psycopg import AsyncConnection

FIRST_RETRY = 1.0  # seconds before connecting again after a failure
LAST_RETRY = 60.0  # the longest wait, doubling from FIRST_RETRY


async def keep_connected(
    database_url: str,
    use: Callable[[AsyncConnection[Any]], Awaitable[object]],
    failed: str,
    log: logging.Logger,
    **options: Any,
) -> NoReturn:
    """Run `use` on an autocommit connection to `database_url` (made with psycopg's
    `options`), and again on a new one whenever the connection fails or `use` times out
    or returns, until cancelled; each failure is logged as `failed`, the error's kind and
    the wait."""
    import psycopg  # here, not at the top: a node on SQLite never loads it (start-up, memory)

    conninfo = libpq_conninfo(database_url)
    wait = FIRST_RETRY
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo, autocommit=True, **options
            ) as connection:
                wait = FIRST_RETRY
                await use(connection)
        except (psycopg.Error, TimeoutError) as error:
            log.warning("%s (%s); again in %.0f s", failed, type(error).__name__, wait)
        await asyncio.sleep(wait)
        wait = min(wait * 2, LAST_RETRY)
