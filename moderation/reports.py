"""Reports: from local members, and `Flag`s from other servers, in one moderation queue."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.interface_text import N_
from content.orm import Base, new_id, utcnow
from content.paging import NEWEST, Window
from moderation import audit

MAX_COMMENT = 5000
MAX_POSTS = 50
CATEGORIES = ("spam", "legal", "violation", "other")


class Report(Base):
    """A report about an account (and some of its posts), waiting for a moderator."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # A local member, or for a Flag the remote actor that sent it (usually its server's).
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    origin_domain: Mapped[str | None] = mapped_column(String(255))  # for a Flag: who sent it
    post_uris: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    comment: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16), default="other", server_default="other")
    forwarded: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The member asked for it to go to the target's server: a wish shown to moderators only.
    forward_requested: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The partner organisation (host) a moderator shared this case with, if any.
    shared_with: Mapped[str | None] = mapped_column(String(255))
    # A case a partner in the trusted circle shared with us (`origin_domain` is the partner).
    shared_case: Mapped[bool] = mapped_column(default=False, server_default=false())
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    resolution_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime | None]


async def receive_flag(
    session: AsyncSession,
    *,
    uri: str,
    origin_domain: str,
    target: Account,
    post_uris: Sequence[str],
    comment: str,
    sender: Account | None = None,
    shared: bool = False,
) -> Report:
    """File a report that another server sent as a `Flag`. The sender is the remote actor
    that signed it (servers send Flags from their instance actor, so the person stays
    anonymous). `shared` marks a case a partner in the trusted circle shared with us."""
    report = Report(
        shared_case=shared,
        target_id=target.id,
        reporter_id=sender.id if sender else None,
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
    forward_requested: bool = False,
) -> Report:
    """File a member's report about an account and some of its posts, for this node's
    moderators. `forward_requested` records her wish that it go to the account's server;
    only a moderator sends it anywhere."""
    if target.id == reporter.id:
        raise ValueError(N_("you cannot report yourself"))
    report = Report(
        id=new_id(),
        target_id=target.id,
        reporter_id=reporter.id,
        post_uris=json.dumps(list(dict.fromkeys(post_uris))[:MAX_POSTS]),
        comment=comment[:MAX_COMMENT],
        category=category if category in CATEGORIES else "other",
        forward_requested=forward_requested and not target.is_local,
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


async def reports_page(
    session: AsyncSession, *, resolved: bool, window: Window = NEWEST
) -> list[Report]:
    """Resolved or unresolved reports in a window, newest first."""
    done = Report.resolved_at.is_not(None) if resolved else Report.resolved_at.is_(None)
    rows = await session.scalars(window.apply(select(Report).where(done), Report.id))
    return window.newest_first(list(rows), key=lambda report: report.id)


def _target(report: Report) -> str:
    return f"report {report.id}"


def resolve(session: AsyncSession, report: Report, moderator: Account, note: str = "") -> None:
    """Close a report, with the moderator's note; audited. Closing a closed one does nothing."""
    if report.resolved_at is not None:
        return
    report.resolved_at = report.updated_at = utcnow()
    report.resolved_by_id = moderator.id
    report.resolution_note = note[:MAX_COMMENT]
    audit.record(session, moderator, "report.resolve", _target(report), note)


def reopen(session: AsyncSession, report: Report, moderator: Account, reason: str = "") -> None:
    """Put a closed report back in the queue; audited."""
    if report.resolved_at is None:
        return
    report.resolved_at = report.resolved_by_id = None
    report.updated_at = utcnow()
    audit.record(session, moderator, "report.reopen", _target(report), reason)


def assign(session: AsyncSession, report: Report, moderator: Account, *, to_self: bool) -> None:
    """Take a report on (`to_self`), or give it back to the queue; audited."""
    report.assigned_to_id = moderator.id if to_self else None
    report.updated_at = utcnow()
    action = "report.assign" if to_self else "report.unassign"
    audit.record(session, moderator, action, _target(report))


def note_forwarded(session: AsyncSession, report: Report, moderator: Account) -> None:
    """Record in the audit log that a moderator sent the report on to the target's server."""
    audit.record(session, moderator, "report.forward", _target(report))


def note_shared(session: AsyncSession, report: Report, moderator: Account, partner: str) -> None:
    """Record that a moderator shared the report with a partner organisation; audited."""
    report.shared_with = partner
    report.updated_at = utcnow()
    audit.record(session, moderator, "report.share", _target(report), partner)
