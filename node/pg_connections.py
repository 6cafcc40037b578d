"""PostgreSQL connections that keep their prepared statements across a rollback.

psycopg prepares a statement on a connection after its fifth run, and the server then plans
it once rather than at every run. But psycopg forgets every prepared statement at each
rollback (and sends DEALLOCATE ALL), in case the transaction created what they name: every
session that only read ends with a rollback, so the worker's polls and every read-only
request wiped the connection's statements, and the home timeline's feed statement was
planned again (~2-6 ms of the server's CPU at 1,000,000 posts, 0.9 ms a page prepared) on
most pages (issue 18). The node changes no schema while it runs (migrations run before,
on a connection of their own), and PostgreSQL keeps prepared statements across a rollback
and plans them again itself when a table they read changes: a rollback here forgets none.
A statement that drops or alters something still makes psycopg forget them all.

But a prepared statement whose result columns changed type (another process altered the
table: `harbour migrate` during a rolling upgrade) fails at every run ("cached plan must not
change result type"), and no rollback forgets it: not here, and not in psycopg either for a
read-only request's statements, run outside a transaction (`database.reading_only`). Such an
error counts as a disconnection (`stale_plan`): SQLAlchemy replaces the pool's connections,
so the statement fails once rather than on each connection until it closes (attack8).
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg._preparing import PrepareManager


class KeepsPrepared(AsyncConnection):
    """psycopg's connection, whose rollback keeps the statements it prepared."""

    async def rollback(self) -> None:
        kept, self._prepared = self._prepared, PrepareManager()  # psycopg clears this one
        try:
            await super().rollback()
        finally:
            self._prepared = kept


def stale_plan(context: Any) -> None:
    """SQLAlchemy's handle_error: a prepared statement that can no longer run (its columns
    changed type) is a disconnection, and the pool's connections are replaced."""
    if "cached plan must not change result type" in str(context.original_exception):
        context.is_disconnect = True
