"""Read markers: where an account stopped reading its home timeline and notifications."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, utcnow


class Timeline(StrEnum):
    """The lists a client may mark, as Mastodon names them."""

    HOME = "home"
    NOTIFICATIONS = "notifications"


class Marker(Base):
    """The newest id `account` has read in `timeline`; `version` counts the saves."""

    __tablename__ = "markers"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    timeline: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_read_id: Mapped[int]
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


async def get(
    session: AsyncSession, account: Account, timelines: Collection[Timeline]
) -> list[Marker]:
    """The account's markers for these timelines (a timeline never marked has none)."""
    query = select(Marker).where(Marker.account_id == account.id, Marker.timeline.in_(timelines))
    return list((await session.scalars(query.order_by(Marker.timeline))).all())


async def save(
    session: AsyncSession, account: Account, timeline: Timeline, last_read_id: int
) -> Marker:
    """Move the account's marker in `timeline` to `last_read_id`."""
    marker = await session.get(Marker, (account.id, str(timeline)))
    if marker is None:
        marker = Marker(account_id=account.id, timeline=timeline, version=0)
        session.add(marker)
    marker.last_read_id = last_read_id
    marker.version += 1
    marker.updated_at = utcnow()
    await session.flush()
    return marker


async def last_read(session: AsyncSession, account: Account, timeline: Timeline) -> int:
    """The last id the account has read in `timeline`; 0 if it never said."""
    marker = await session.get(Marker, (account.id, str(timeline)))
    return marker.last_read_id if marker is not None else 0
