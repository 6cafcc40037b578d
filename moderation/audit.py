"""The audit log: who did what to whom, when and why. Rows are only ever added."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, new_id, utcnow

COMMAND_LINE = "command line"


class AuditEntry(Base):
    """One moderator or admin action. `actor_id` is empty for the command line."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(2048))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def record(
    session: AsyncSession, actor: Account | None, action: str, target: str, reason: str = ""
) -> None:
    """Write an action to the log, in the caller's transaction (so it exists iff the action
    does)."""
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            action=action,
            target=target[:2048],
            reason=reason[:2000],
        )
    )


async def recent(session: AsyncSession, limit: int = 100) -> Sequence[tuple[AuditEntry, str]]:
    """The newest entries, each with who acted (a handle, or "command line")."""
    rows = await session.execute(
        select(AuditEntry, Account.username)
        .outerjoin(Account, Account.id == AuditEntry.actor_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [(entry, name or COMMAND_LINE) for entry, name in rows]
