"""A member's imports of Mastodon list files: one `ListImport` per file, one `ImportRow` job
per line, applied by the worker (`import_rows`), never in the request: a list of follows
means a WebFinger look-up and an actor fetch per line.

A member has at most one import of each list; a new one replaces the last, once that one has
ended. An overwrite queues the file's lines like a merge, then, once they are applied, takes
away what the list holds and neither the file's addresses nor the accounts its lines named
(`import_overwrite`): a server may write an address another way than this node does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, ForeignKey, String, Text, delete, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.interface_text import N_, Message
from content.orm import Base, new_id, utcnow
from federation.jobs import OPEN_STATES, Job, announce, claim_index
from moderation.list_files import Entry, Kind


class Mode(StrEnum):
    """Mastodon's two ways of importing: add to the list, or make the list the file."""

    MERGE = "merge"
    OVERWRITE = "overwrite"


class ImportRefused(ValueError):
    """An import cannot start; the message is fit to show the member."""


class ListImport(Base):
    """One file a member imported into one of her lists."""

    __tablename__ = "list_imports"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An overwrite whose removals wait until its lines are applied.
    removing: Mapped[bool] = mapped_column(default=False, server_default=false())


class ImportRow(Job, Base):
    """One line of an imported file, to apply; `reason` says why it failed, as a message
    template and its values (JSON), shown in the member's language."""

    __tablename__ = "import_rows"
    __table_args__ = (claim_index("import_rows"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("list_imports.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(2048))
    hide_notifications: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # The account the line named, once resolved: an overwrite keeps it, however it is written.
    account_id: Mapped[int | None] = mapped_column()


@dataclass(frozen=True)
class Progress:
    """How an import goes: its lines by state, and each failed line with its reason."""

    started: ListImport
    total: int
    done: int
    waiting: int
    failures: Sequence[tuple[str, Message]]


async def start(
    session: AsyncSession, member: Account, kind: Kind, mode: Mode, entries: Sequence[Entry]
) -> ListImport:
    """Queue the file's lines for the worker, replacing the member's last import of this
    list; refused while that one is still under way. (An overwrite's removals follow its
    lines, `import_overwrite.finish_due`.)"""
    last = await _latest(session, member, kind)
    if last is not None:
        if last.removing or await _count(session, last, ImportRow.state.in_(OPEN_STATES)):
            raise ImportRefused(N_("Your last import of this list is still under way."))
        await _delete(session, ListImport.id == last.id)
    started = ListImport(
        id=new_id(),
        account_id=member.id,
        kind=kind.value,
        mode=mode.value,
        removing=mode is Mode.OVERWRITE,
    )
    session.add(started)
    await session.flush()
    session.add_all(
        ImportRow(
            id=new_id(),
            import_id=started.id,
            value=e.value,
            hide_notifications=e.hide_notifications,
        )
        for e in entries
    )
    await session.flush()
    await announce(session)
    return started


async def progress(session: AsyncSession, member: Account) -> list[Progress]:
    """The member's imports, one per list at most, newest first."""
    started = await session.scalars(
        select(ListImport)
        .where(ListImport.account_id == member.id)
        .order_by(ListImport.created_at.desc())
    )
    found = []
    for each in started:
        counts = dict(
            (state, n)
            for state, n in await session.execute(
                select(ImportRow.state, func.count())
                .where(ImportRow.import_id == each.id)
                .group_by(ImportRow.state)
            )
        )
        failed = await session.execute(
            select(ImportRow.value, ImportRow.reason)
            .where(ImportRow.import_id == each.id, ImportRow.state == "failed")
            .order_by(ImportRow.id)
        )
        found.append(
            Progress(
                started=each,
                total=sum(counts.values()),
                done=counts.get("done", 0),
                waiting=sum(counts.get(state, 0) for state in OPEN_STATES),
                failures=[(value, reason_of(reason)) for value, reason in failed],
            )
        )
    return found


async def forget(session: AsyncSession, member: Account) -> None:
    """Delete the member's imports (her account is being erased)."""
    await _delete(session, ListImport.account_id == member.id)


def reason_text(message: str) -> str:
    """A failure's message as stored: its template and values."""
    if isinstance(message, Message):
        return json.dumps([message.template, {k: str(v) for k, v in message.values.items()}])
    return json.dumps([str(message), {}])


def reason_of(stored: str | None) -> Message:
    """A stored failure's message again (with its values), to show translated."""
    template, values = json.loads(stored) if stored else (N_("it failed"), {})
    return Message(template, **values) if values else Message(template)


async def _latest(session: AsyncSession, member: Account, kind: Kind) -> ListImport | None:
    return await session.scalar(
        select(ListImport).where(ListImport.account_id == member.id, ListImport.kind == kind.value)
    )


async def _count(session: AsyncSession, started: ListImport, where: ColumnElement[bool]) -> int:
    query = select(func.count()).where(ImportRow.import_id == started.id, where)
    return int(await session.scalar(query) or 0)


async def _delete(session: AsyncSession, which: ColumnElement[bool]) -> None:
    """Delete the imports `which` names, their lines first."""
    ids = select(ListImport.id).where(which).scalar_subquery()
    await session.execute(delete(ImportRow).where(ImportRow.import_id.in_(ids)))
    await session.execute(delete(ListImport).where(which))
