"""Free-text search of listings: their words, folded alike when stored and when typed, each
typed word matching the start of a stored one (an FTS5 table on SQLite, a trigram index on
PostgreSQL; node/migrations/versions/0038_text_search.py makes both)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    column,
    func,
    literal,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

# Made by the migration, not by the models: FTS5's table and its shadow tables, kept by
# triggers from `listings.search_text`, and PostgreSQL's trigram index.
FTS_TABLES = frozenset(
    f"listings_fts{suffix}" for suffix in ("", "_data", "_idx", "_docsize", "_config")
)
TRIGRAM_INDEX = "ix_listings_search_text_trgm"
MAX_WORDS = 8
RARE = 2000

_WORD = re.compile(r"[^\W_]+")
_FTS = table("listings_fts", column("rowid"), column("search_text"))


@cache
def _bare(char: str) -> str:
    """A Latin letter without its accents (ș → s); any other character as it is (й stays)."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    return stripped if stripped.isascii() else char


def words(text: str) -> list[str]:
    """The words of `text`, case-folded and without Latin accents; punctuation separates."""
    folded = "".join(_bare(char) for char in unicodedata.normalize("NFC", text.casefold()))
    return _WORD.findall(folded)


def search_text(*parts: str) -> str:
    """A listing's stored search text: each word of `parts` after a space."""
    return "".join(f" {word}" for part in parts for word in words(part))


async def matching(
    session: AsyncSession,
    listing_id: SQLColumnExpression[int],
    stored: SQLColumnExpression[str],
    typed: str,
) -> list[ColumnElement[bool]]:
    """Conditions that every typed word (the first eight) starts a word of the listing.

    Each is a LIKE on the stored words: PostgreSQL answers it from its trigram index, or
    checks it row by row as it reads the newest listings first when its planner expects
    that sooner done. SQLite has no such estimate, so its FTS5 table is asked first how many
    listings have the words of three letters or more: if few, they are looked up by id; if
    many, reading newest first finds twenty soon. SQLite tests a row's plain conditions
    before those holding a subquery, so there each LIKE is asked in one (`_last`): tested
    after the category and language probes, it reads only the rows they keep."""
    wanted = words(typed)[:MAX_WORDS]
    dialect = session.get_bind().dialect.name
    found: list[ColumnElement[bool]] = [
        _last(like) if dialect == "sqlite" else like
        for like in (stored.like(f"% {w}%") for w in wanted)
    ]
    indexed = [word for word in wanted if len(word) >= 3]
    if wanted and dialect == "postgresql":
        # The statement is prepared on a pooled connection (psycopg, after 5 runs), and after
        # common words PostgreSQL kept a generic plan that walks the newest listings for any
        # word: 127 ms for a city's rare name at 100k, 12 ms by its trigram index (p50 110-138
        # ms over HTTP in benchmarks/directory_search.py). Planned for its words each time.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    if indexed and dialect == "sqlite":
        hits = await _rare_hits(session, indexed)
        if hits is not None:
            found.append(listing_id.in_(hits))
    return found


def _last(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition` as `EXISTS (SELECT 1 WHERE condition)`, which SQLite tests after a row's
    plain conditions, with those holding a subquery, in the order written (sqlite3's
    wherecode.c). Walking 2,535 listings of a country for a category, a language and a
    common word, a bare LIKE read every listing's row and text before the probes kept 14:
    14.3 → 7.3 CPU-ms at 100k."""
    return select(literal(1)).where(condition).correlate_except(None).exists()


async def _rare_hits(session: AsyncSession, indexed: list[str]) -> Select[tuple[int]] | None:
    """The ids of listings with every word (as a word's start), if at most RARE; else None.

    Whole words are counted first: FTS5 reads their lists lazily, up to the limit, where a
    prefix query merges the full lists of every word it starts."""
    for star in ("", "*"):
        phrase = " AND ".join(f'"{word}"{star}' for word in indexed)
        hits = select(_FTS.c.rowid).where(_FTS.c.search_text.op("MATCH")(phrase))
        some = hits.limit(RARE + 1).subquery()
        if (await session.scalar(select(func.count()).select_from(some)) or 0) > RARE:
            return None
    return hits
