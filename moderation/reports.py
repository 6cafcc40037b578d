"""Reports: from local members, and `Flag`s from other servers, in one moderation queue."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, new_id, utcnow

MAX_COMMENT = 5000
MAX_POSTS = 50
CATEGORIES = ("spam", "legal", "violation", "other")


class Report(Base):
    """A report about an account (and some of its posts), waiting for a moderator."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    origin_domain: Mapped[str | None] = mapped_column(String(255))  # for a Flag: who sent it
    post_uris: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    comment: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16), default="other", server_default="other")
    forwarded: Mapped[bool] = mapped_column(default=False, server_default=false())
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


async def receive_flag(
    session: AsyncSession,
    *,
    uri: str,
    origin_domain: str,
    target: Account,
    post_uris: Sequence[str],
    comment: str,
) -> Report:
    """File a report that another server sent as a `Flag` (its sender stays anonymous)."""
    report = Report(
        target_id=target.id,
        origin_domain=origin_domain,
        uri=uri,
        post_uris=json.dumps(list(post_uris)[:MAX_POSTS]),
        comment=comment[:MAX_COMMENT],
    )
    session.add(report)
    await session.flush()
    return report


async def file_report(
    session: AsyncSession,
    *,
    reporter: Account,
    target: Account,
    post_uris: Sequence[str],
    comment: str,
    category: str,
) -> Report:
    """File a member's report about an account and some of its posts."""
    if target.id == reporter.id:
        raise ValueError("you cannot report yourself")
    report = Report(
        id=new_id(),
        target_id=target.id,
        reporter_id=reporter.id,
        post_uris=json.dumps(list(dict.fromkeys(post_uris))[:MAX_POSTS]),
        comment=comment[:MAX_COMMENT],
        category=category if category in CATEGORIES else "other",
    )
    session.add(report)
    await session.flush()
    return report


def reported_post_uris(report: Report) -> list[str]:
    """The ids of the posts a report names."""
    uris = json.loads(report.post_uris)
    return [u for u in uris if isinstance(u, str)] if isinstance(uris, list) else []


async def open_reports(session: AsyncSession) -> Sequence[Report]:
    """Unresolved reports, oldest first."""
    return (
        await session.scalars(
            select(Report).where(Report.resolved_at.is_(None)).order_by(Report.id)
        )
    ).all()
