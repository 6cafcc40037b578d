"""Tags in use by their beginning, for a client's search box."""

from __future__ import annotations

from sqlalchemy import Integer, Select, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from content.posts import PostTag


async def tags_starting_with(session: AsyncSession, prefix: str, limit: int) -> list[str]:
    """The first `limit` tags in use that start with `prefix` (normalised), in order: one
    index probe each (a recursive query that asks for the next name after the last), where
    `LIKE 'prefix%'` with DISTINCT read every row of the tags index on PostgreSQL, whose
    collation turns no LIKE into a range, and every post carrying a popular tag anyway.
    The names are compared in code point order (`PostTag.name` is collated "C" there, and
    SQLite's BINARY is that order too), in which the names with a prefix lie together."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # the first string after every "prefix…"
    values = {"prefix": prefix, "upper": upper, "limit": limit}
    return [str(tag) for tag in await session.scalars(_TAGS_STARTING, values)]


def _tags_starting() -> Select[str]:
    """`tags_starting_with`'s statement, built once: a search is its values alone."""
    name, upper = PostTag.name, bindparam("upper", type_=PostTag.name.type)
    lowest = name >= bindparam("prefix", type_=PostTag.name.type)
    first = select(func.min(name)).where(lowest, name < upper).scalar_subquery()
    found = select(first.label("name"), literal_column("1", Integer).label("n"))
    found_cte = found.cte("found", recursive=True)
    after = select(func.min(name)).where(name > found_cte.c.name, name < upper)
    more = found_cte.c.name.is_not(None), found_cte.c.n < bindparam("limit", type_=Integer)
    found_cte = found_cte.union_all(
        select(after.scalar_subquery(), found_cte.c.n + literal_column("1", Integer)).where(*more)
    )
    return select(found_cte.c.name).where(found_cte.c.name.is_not(None)).order_by(found_cte.c.name)


_TAGS_STARTING = _tags_starting()
