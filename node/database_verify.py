"""Whether a copied database came out equal to its source: every table's row count, every
account's counters (`account_stats`) on both sides, and the target's counters against its
own posts and follows, counted as migration 0031's triggers count them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import zip_longest

import sqlalchemy as sa

from content.audience import Visibility
from content.orm import Base
from content.relationships import FollowState

COUNTERS = "account_stats"
OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)
SHOWN = 10  # differences named in full


def row_counts(connection: sa.Connection, tables: Iterable[sa.Table]) -> dict[str, int]:
    """How many rows each table holds."""
    return {
        table.name: int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
        for table in tables
    }


def count_differences(source: Mapping[str, int], target: Mapping[str, int]) -> list[str]:
    """The tables whose row counts differ (or that one side lacks), one line each."""
    return [
        f"{name}: {source.get(name, 'no table')} rows in the source, "
        f"{target.get(name, 'no table')} in the target"
        for name in sorted(source.keys() | target.keys())
        if source.get(name) != target.get(name)
    ]


def counter_differences(source: sa.Connection, target: sa.Connection) -> list[str]:
    """The accounts whose counters differ, read in account order from both sides at once."""
    stats = Base.metadata.tables[COUNTERS]
    query = sa.select(stats).order_by(stats.c.account_id)
    found: list[str] = []
    pairs = zip_longest(
        source.execution_options(yield_per=1000).execute(query).mappings(),
        target.execution_options(yield_per=1000).execute(query).mappings(),
    )
    for left, right in pairs:
        if left != right:
            found.append(f"{COUNTERS}: {_shown(left)} in the source, {_shown(right)} in the target")
    return _limited(found)


def recount_differences(connection: sa.Connection) -> list[str]:
    """The accounts whose counters are not what their posts and follows add up to, and the
    accounts without counters."""
    tables = Base.metadata.tables
    stats, posts, follows = tables[COUNTERS], tables["posts"], tables["follows"]
    account = stats.c.account_id
    accepted = follows.c.state == FollowState.ACCEPTED
    recounted = {
        "posts": sa.select(sa.func.count()).where(posts.c.account_id == account),
        "open_posts": sa.select(sa.func.count()).where(
            posts.c.account_id == account, posts.c.visibility.in_(OPEN)
        ),
        "followers": sa.select(sa.func.count()).where(accepted, follows.c.followed_id == account),
        "following": sa.select(sa.func.count()).where(accepted, follows.c.follower_id == account),
    }
    counts = {name: query.scalar_subquery() for name, query in recounted.items()}
    query = (
        sa.select(account, *(stats.c[name] for name in counts), *counts.values())
        .where(sa.or_(*(stats.c[name] != count for name, count in counts.items())))
        .order_by(account)
        .limit(SHOWN + 1)
    )
    rows = connection.execute(query).all()
    found = [
        f"{COUNTERS} of account {row[0]}: {_pairs(counts, row[1:5])}, but its rows add up to "
        f"{_pairs(counts, row[5:])}"
        for row in rows[:SHOWN]
    ]
    if len(rows) > SHOWN:
        found.append(f"{COUNTERS}: ... and more accounts")
    accounts = tables["accounts"]
    uncounted = connection.scalar(
        sa.select(sa.func.count())
        .select_from(accounts)
        .where(~sa.exists().where(stats.c.account_id == accounts.c.id))
    )
    if uncounted:
        found.append(f"{COUNTERS}: {uncounted} accounts have no counters")
    return found


def differences(source: sa.Connection, target: sa.Connection) -> list[str]:
    """Every difference in row counts or counters; empty when the copy is complete."""
    tables = Base.metadata.sorted_tables
    counts = count_differences(row_counts(source, tables), row_counts(target, tables))
    return counts + counter_differences(source, target) + recount_differences(target)


def _pairs(names: Iterable[str], values: Iterable[object]) -> str:
    return ", ".join(f"{name}={value}" for name, value in zip(names, values, strict=True))


def _shown(row: sa.RowMapping | None) -> str:
    return "nothing" if row is None else _pairs(row.keys(), row.values())


def _limited(found: list[str]) -> list[str]:
    if len(found) <= SHOWN:
        return found
    return [*found[:SHOWN], f"... and {len(found) - SHOWN} more"]
