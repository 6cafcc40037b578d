"""Windows over id-ordered lists: Mastodon's limit, max_id, since_id and min_id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T")
MAX_ID = 2**63 - 1  # ids are signed 64-bit integers in both databases


def parse_id(raw: object) -> int | None:
    """A row id given as text (a path, a query, a form, JSON): ASCII digits up to MAX_ID,
    else None. Longer numbers, `²` and `1e5` are no ids, never an overflow in SQL."""
    text = raw if isinstance(raw, str) else str(raw) if isinstance(raw, int) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def parse_count(raw: object, default: int, maximum: int, minimum: int = 0) -> int:
    """A limit or offset given as text, clamped to [minimum, maximum]; `default` if it is
    not a number."""
    text = raw if isinstance(raw, str) else ""
    if not (text.isascii() and text.isdigit()):
        return default
    digits = text.lstrip("0") or "0"
    return maximum if len(digits) > len(str(maximum)) else max(minimum, min(int(digits), maximum))


Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class Window:
    """Which slice of a newest-first list to read. `min_id` reads the oldest rows just newer
    than it (the page before), `since_id` the newest rows newer than it."""

    limit: int = 20
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None

    def apply(self, query: Q, column: InstrumentedAttribute[int]) -> Q:
        """Bound, order and limit a query by `column`, which orders the list."""
        if self.max_id is not None:
            query = query.where(column < self.max_id)
        if self.since_id is not None:
            query = query.where(column > self.since_id)
        if self.min_id is not None:
            return query.where(column > self.min_id).order_by(column.asc()).limit(self.limit)
        return query.order_by(column.desc()).limit(self.limit)

    def newest_first(self, rows: Sequence[T], key: Callable[[T], int]) -> list[T]:
        """The rows of an applied query, newest first whichever way they were read."""
        return sorted(rows, key=key, reverse=True)

    @property
    def is_newest_page(self) -> bool:
        """Whether this is the newest page of the list."""
        return self.max_id is None and self.min_id is None


NEWEST = Window()


async def read_pairs(
    session: AsyncSession,
    window: Window,
    query: Select[int, T],
    column: InstrumentedAttribute[int],
) -> list[tuple[int, T]]:
    """Run a query for (ordering id, row) pairs in the window; newest first."""
    rows = await session.execute(window.apply(query, column))
    return window.newest_first([(i, row) for i, row in rows], key=lambda pair: pair[0])
