"""Whether a copied database came out equal to its source: every table's row count, and
every account's counters (`account_stats`, kept by triggers), on both sides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import zip_longest

import sqlalchemy as sa

from content.orm import Base

COUNTERS = "account_stats"
SHOWN = 10  # differences named in full; the rest are counted


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


def differences(source: sa.Connection, target: sa.Connection) -> list[str]:
    """Every difference in row counts or counters; empty when the copy is complete."""
    tables = Base.metadata.sorted_tables
    counts = count_differences(row_counts(source, tables), row_counts(target, tables))
    return counts + counter_differences(source, target)


def _shown(row: sa.RowMapping | None) -> str:
    return "nothing" if row is None else ", ".join(f"{k}={v}" for k, v in row.items())


def _limited(found: list[str]) -> list[str]:
    if len(found) <= SHOWN:
        return found
    return [*found[:SHOWN], f"... and {len(found) - SHOWN} more"]
