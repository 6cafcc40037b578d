"""Tags in use by their beginning, for a client's search box, and whether a tag may be named
to anyone at all."""

from __future__ import annotations

from functools import cache

from sqlalchemy import (
    ColumnElement,
    Exists,
    Integer,
    Select,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from content.audience import OPEN_TO_ALL
from content.posts import Post, PostTag

# Names looked at for each one a search may list: names carried by no open post are passed
# over, and a range full of them gives a shorter answer rather than a longer search.
LOOKED_AT_PER_LISTED = 3


async def tags_starting_with(session: AsyncSession, prefix: str, limit: int) -> list[str]:
    """The first `limit` tags that start with `prefix` (normalised) and that a public or
    unlisted post of a live account carries (`openly_carried`), in order. One index probe per
    name looked at (a recursive query that asks for the next name after the last), where
    `LIKE 'prefix%'` with DISTINCT read every row of the tags index on PostgreSQL, whose
    collation turns no LIKE into a range, and every post carrying a popular tag anyway.
    The names are compared in code point order (`PostTag.name` is collated "C" there, and
    SQLite's BINARY is that order too), in which the names with a prefix lie together."""
    upper = _after_all_starting_with(prefix)
    if upper is None or limit < 1:
        return []
    values = {
        "prefix": prefix,
        "upper": upper,
        "limit": limit,
        "looked_at": limit * LOOKED_AT_PER_LISTED,
    }
    return [str(tag) for tag in await session.scalars(_tags_starting(), values)]


def openly_carried(name: ColumnElement[str]) -> Exists:
    """Whether a public or unlisted post of a live account carries the tag `name`. A tag
    found only on direct, followers-only or local-only posts, or on a suspended account's,
    is named to no one: a search or a tag's page would tell what private posts speak of
    (attack21)."""
    return (
        select(PostTag.post_id)
        .join(Post, Post.id == PostTag.post_id)
        .join(Account, Account.id == Post.account_id)
        .where(
            PostTag.name == name,
            Post.visibility.in_(OPEN_TO_ALL),
            Account.suspended_at.is_(None),
            Account.deleted_at.is_(None),
        )
        .exists()
    )


def _after_all_starting_with(prefix: str) -> str | None:
    """The first string, in code point order, after every string that starts with `prefix`
    (None if there is none: no prefix, or one of U+10FFFF alone)."""
    kept = prefix.rstrip("\U0010ffff")
    if not kept:
        return None
    following = ord(kept[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are no characters
        following = 0xE000
    return kept[:-1] + chr(following)


@cache
def _tags_starting() -> Select[str]:
    """`tags_starting_with`'s statement, built once (not at import, where it would configure
    every mapper): a search is its values alone."""
    name, upper = PostTag.name, bindparam("upper", type_=PostTag.name.type)
    lowest = name >= bindparam("prefix", type_=PostTag.name.type)
    first = select(func.min(name)).where(lowest, name < upper).scalar_subquery()
    found = select(first.label("name"), literal_column("1", Integer).label("n"))
    found_cte = found.cte("found", recursive=True)
    after = select(func.min(name)).where(name > found_cte.c.name, name < upper)
    more = found_cte.c.name.is_not(None), found_cte.c.n < bindparam("looked_at", type_=Integer)
    found_cte = found_cte.union_all(
        select(after.scalar_subquery(), found_cte.c.n + literal_column("1", Integer)).where(*more)
    )
    return (
        select(found_cte.c.name)
        .where(found_cte.c.name.is_not(None), openly_carried(found_cte.c.name))
        .order_by(found_cte.c.name)
        .limit(bindparam("limit", type_=Integer))
    )
