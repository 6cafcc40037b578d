"""`node.database_copy`: every row of an SQLite node into an empty PostgreSQL database, a
batch at a time, committed only once the row counts and counters match; and the check."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from content.audience import Visibility
from content.orm import Base
from content.relationships import Follow, FollowState
from node import database_copy, database_verify
from node.database import create_engine, create_sessionmaker, driver_url
from tests.rig import world
from tests.rig.databases import PostgresDatabases, SQLiteDatabases


@pytest.fixture
def source(sqlite_databases: SQLiteDatabases) -> Iterator[str]:
    url = sqlite_databases.create()
    asyncio.run(_fill(url))
    yield url
    sqlite_databases.drop(url)


@pytest.fixture
def target(postgresql_databases: PostgresDatabases) -> Iterator[str]:
    url = postgresql_databases.create()
    yield url
    postgresql_databases.drop(url)


async def _fill(url: str) -> None:
    """Two members: alice with three posts (one direct) and a deleted newest one, bea
    following her."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            alice = await world.local_member(session, "alice")
            bea = await world.local_member(session, "bea")
            for text in ("one", "two"):
                await world.post(session, alice, text)
            await world.post(session, alice, "psst", Visibility.DIRECT)
            await session.delete(await world.post(session, alice, "gone"))
            session.add(
                Follow(follower_id=bea.id, followed_id=alice.id, state=FollowState.ACCEPTED)
            )
    finally:
        await engine.dispose()


def every_row(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(driver_url(url, asynchronous=False))
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(sa.select(table).order_by(*table.primary_key))
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def test_every_row_and_counter_arrives_in_batches(source: str, target: str) -> None:
    said: list[str] = []
    copied = database_copy.copy(source, target, said.append, batch=2)
    rows = every_row(target)
    assert rows == every_row(source)
    assert copied.rows == sum(len(table) for table in rows.values())
    assert "  posts: 3 rows" in said and "  users: 2 rows" in said
    triggered = "accounts, allowed_domains, domain_blocks, follows, node_switches, posts"
    assert f"  triggers off during the copy on: {triggered}" in said
    engine = sa.create_engine(driver_url(target, asynchronous=False))
    with engine.connect() as connection:  # and on again, counting what the node writes next
        off = "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'"
        assert connection.scalar(sa.text(off)) == 0
    engine.dispose()
    counters = {row[0]: row[1:] for row in rows["account_stats"]}
    (alice,) = {row[1] for row in rows["posts"]}
    posts, open_posts, followers, following, last_post_at = counters[alice]
    assert (posts, open_posts, followers, following) == (3, 2, 1, 0)
    # Where the deleted newest post left it, later than any post there is now.
    created_at = Base.metadata.tables["posts"].c.keys().index("created_at")
    assert last_post_at > max(row[created_at] for row in rows["posts"])


def test_counters_that_do_not_add_up_fail_the_copy_and_leave_no_rows(
    source: str, target: str
) -> None:
    engine = sa.create_engine(source)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE account_stats SET followers = followers + 5"))
    engine.dispose()
    with pytest.raises(database_copy.CopyError, match="the target keeps no rows") as failed:
        database_copy.copy(source, target, lambda _line: None)
    assert "followers=6, following=0, but its rows add up to posts=3" in str(failed.value)
    assert all(rows == [] for rows in every_row(target).values())


def test_only_sqlite_to_postgresql(source: str, target: str) -> None:
    with pytest.raises(database_copy.CopyError, match="not SQLite"):
        database_copy.copy(target, target, lambda _line: None)
    with pytest.raises(database_copy.CopyError, match="must be a PostgreSQL URL"):
        database_copy.copy(source, source, lambda _line: None)
    with pytest.raises(database_copy.CopyError, match="no SQLite database"):
        database_copy.copy("sqlite:////nowhere/harbour.db", target, lambda _line: None)


def test_row_counts_that_differ_are_named() -> None:
    assert database_verify.count_differences({"posts": 3}, {"posts": 3}) == []
    assert database_verify.count_differences({"posts": 3, "users": 1}, {"posts": 2}) == [
        "posts: 3 rows in the source, 2 in the target",
        "users: 1 rows in the source, no table in the target",
    ]
