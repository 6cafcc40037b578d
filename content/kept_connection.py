"""A PostgreSQL connection of a task's own, kept open for as long as the task runs.

The worker's LISTEN for new jobs (`federation.wakeups`), the streaming hub's LISTEN for
events (`node.streaming.hub`) and the worker's liveness lock (`federation.liveness`) each
hold one such connection beside the pool. When it fails (the server restarts, a firewall
drops it, a check times out) it is logged once and opened again after a wait that doubles
from FIRST_RETRY to LAST_RETRY. The wait starts again from FIRST_RETRY only once the
connection's first statement has worked (the LISTEN, the lock taken), not as soon as it
opens: a server that accepts connections and fails that statement (a standby refuses LISTEN,
a pooler in front of a database that is down) is not asked once a second for as long as it
lasts (attack on the shared loop: 20 connections and warnings in 20 s, where the three loops
it replaced made 5).
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


Use = Callable[["AsyncConnection[Any]"], Awaitable[object]]


async def keep_connected(
    database_url: str,
    start: Use,
    use: Use,
    failed: str,
    log: logging.Logger,
    **options: Any,
) -> NoReturn:
    """Run `start` then `use` on an autocommit connection to `database_url` (made with
    psycopg's `options`), and again on a new one whenever the connection fails, a statement
    times out or `use` returns, until cancelled. Each failure is logged with `failed`, a
    format given the error's kind and the seconds until the next try."""
    import psycopg  # here, not at the top: a node on SQLite never loads it (start-up, memory)

    conninfo = libpq_conninfo(database_url)
    wait = FIRST_RETRY
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo, autocommit=True, **options
            ) as connection:
                await start(connection)
                wait = FIRST_RETRY
                await use(connection)
        except (psycopg.Error, TimeoutError) as error:
            log.warning(failed, type(error).__name__, wait)
        await asyncio.sleep(wait)
        wait = min(wait * 2, LAST_RETRY)
