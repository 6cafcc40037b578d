"""Each account's post and follow counts, kept by the database as rows change.

Profiles, actors and every status's account show these numbers, so counting posts and
follows on each page would cost time that grows with the data. Triggers (migration 0031, on
SQLite and PostgreSQL alike) give every new account a row and adjust it in the same
transaction as the insert, update or delete of a post or follow, however it happens (the
ORM, a bulk delete, a cascade): an `UPDATE ... SET n = n + 1` is atomic on both databases,
so concurrent writers never lose a count. `last_post_at` only moves forward: deleting the
newest post leaves it, as Mastodon's `last_status_at` does.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.orm import Base


class AccountStats(Base):
    """The counts of one account (rows are written by triggers only)."""

    __tablename__ = "account_stats"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    posts: Mapped[int] = mapped_column(default=0)
    open_posts: Mapped[int] = mapped_column(default=0)  # public and unlisted
    followers: Mapped[int] = mapped_column(default=0)  # accepted follows only
    following: Mapped[int] = mapped_column(default=0)
    last_post_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Counts:
    """What an account's profile shows."""

    posts: int = 0
    open_posts: int = 0
    followers: int = 0
    following: int = 0
    last_post_at: datetime | None = None


async def counts_of(session: AsyncSession, ids: Collection[int]) -> dict[int, Counts]:
    """The counts of each of these accounts, in one indexed query."""
    # Columns, not entities: a row already in the session's identity map would be returned
    # as it was first read, without what the triggers wrote since.
    table = AccountStats.__table__
    rows = await session.execute(select(table).where(table.c.account_id.in_(ids)))
    found = {
        row.account_id: Counts(
            row.posts, row.open_posts, row.followers, row.following, row.last_post_at
        )
        for row in rows
    }
    return {account_id: found.get(account_id, Counts()) for account_id in ids}


async def counts(session: AsyncSession, account_id: int) -> Counts:
    """One account's counts."""
    return (await counts_of(session, [account_id]))[account_id]
