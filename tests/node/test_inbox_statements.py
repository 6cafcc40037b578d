"""The inbox's cost in statements, the measure that decides its speed (issue 18): a POST from
a known server is one INSERT (the policy's verdicts remembered, their generation read by that
INSERT), and applying a mention stays within its
budget."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from federation.worker import Worker
from node import sqlite_trips
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
# A batch of mentions (`federation.inbox_apply`) writes each table once, whatever its size
# (`content.batch_writes`): the posts, notifications, mentions, feed rows and conversations,
# one INSERT each. It reads the items' actors, the policy's generation, the local accounts
# they address and which posts they name are not here once, closes its items with one
# UPDATE and, on PostgreSQL, announces what streams tell in one statement. Each mention more
# in a batch costs no statement (five each before: issue 18).
APPLY_BUDGET = {"sqlite": 0, "postgresql": 0}
WRITTEN_ONCE = ("posts", "notifications", "mentions", "home_feed", "conversations")
# A POST from a known server: the INSERT, which returns the policy's generation with the new
# rows' ids, so that a block committed meanwhile (by any process) is seen before the commit.
ACCEPT_BUDGET = 1


@contextmanager
def counted(
    services: Services, what: str = "before_cursor_execute", argument: int = 2
) -> Iterator[list[Any]]:
    """The statements the node runs inside the block, also those SQLite's inbox runs past
    SQLAlchemy (`sqlite_trips.OneTripConnection.write_alone`) (or, with `what`, another
    engine event's calls: each one's `argument`)."""
    seen: list[Any] = []

    def note(*args: Any) -> None:
        seen.append(args[argument])

    def committed(connection: Any, statement: str, parameters: Any) -> Any:
        seen.append(statement)
        return original(connection, statement, parameters)

    engine = services.engine.sync_engine
    event.listen(engine, what, note)
    original = sqlite_trips._committed
    if what == "before_cursor_execute":
        sqlite_trips._committed = committed
    try:
        yield seen
    finally:
        event.remove(engine, what, note)
        sqlite_trips._committed = original


async def test_a_post_from_a_known_server_is_stored_by_one_statement(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await deliver(client, note_to_alice(0))  # eve's key fetched, her server met
    with counted(services) as statements:
        assert (await deliver(client, note_to_alice(1))).status_code == 202
    stored = [s for s in statements if not s.startswith("SELECT pg_notify")]
    assert len(stored) <= ACCEPT_BUDGET and stored[-1].startswith("INSERT INTO inbox_items")
    assert sum(s.startswith("INSERT") for s in stored) == 1


async def test_a_post_from_a_known_server_is_stored_and_committed_in_one_round_trip(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, monkeypatch: Any
) -> None:
    """Its INSERT commits with it: on SQLite in the same hand-off to the connection's thread
    (`sqlite_trips.OneTripConnection.write_alone`), on PostgreSQL as a transaction of its
    own, with no BEGIN or COMMIT sent (each was a round trip)."""
    trips: list[str] = []
    if services.engine.dialect.name == "sqlite":
        import aiosqlite

        through, name = aiosqlite.Connection, "_execute"
    else:
        import psycopg

        through, name = psycopg.AsyncConnection, "_exec_command"  # BEGIN, COMMIT
    original = getattr(through, name)

    def noted(connection: Any, what: Any, *args: Any, **kw: Any) -> Any:
        trips.append(getattr(what, "__name__", str(what)))
        return original(connection, what, *args, **kw)

    await deliver(client, note_to_alice(0))  # eve's key fetched, her server met
    monkeypatch.setattr(through, name, noted)
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    assert trips == (["_committed"] if services.engine.dialect.name == "sqlite" else [])


async def test_the_inbox_insert_is_one_text_whatever_the_batch_size(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await deliver(client, note_to_alice(0))  # eve's key fetched, her server met
    with counted(services) as statements:
        for first, count in ((1, 1), (2, 5), (3, 3)):  # batches of one to five
            answers = await asyncio.gather(
                *(deliver(client, note_to_alice(first * 10 + n)) for n in range(count))
            )
            assert [answer.status_code for answer in answers] == [202] * count
    inserts = {s for s in statements if s.startswith("INSERT INTO inbox_items")}
    # one text, so psycopg prepares it (insertmanyvalues wrote one for each batch size)
    assert len(inserts) == 1
    assert "json_to_recordset" in next(iter(inserts)) or "json_each" in next(iter(inserts))


async def test_applying_a_mention_stays_within_its_statement_budget(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, database_url: str
) -> None:
    worker = Worker(services.federation)
    await deliver(client, note_to_alice(0))
    await worker.run_once()  # the pass's hourly work done, eve known
    runs = []
    for first, count in ((1, 1), (2, 4)):
        for number in range(first * 10, first * 10 + count):
            assert (await deliver(client, note_to_alice(number))).status_code == 202
        with counted(services) as statements:
            assert await worker.run_once() == count
        runs.append(len(statements))
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert (runs[1] - runs[0]) / 3 <= APPLY_BUDGET[backend]
    for table in WRITTEN_ONCE:
        assert sum(s.startswith(f"INSERT INTO {table} ") for s in statements) == 1, table
    # The claim's UPDATE returns the items it leased: none is read again by its token.
    assert not [s for s in statements if s.startswith("SELECT inbox_items.")]
