"""Outbound deliveries: one row per activity and inbox, signed when sent, retried for days.

Retry schedule after a failed attempt (5xx, timeout, refused connection), each delay with
+-20 % jitter: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, then daily, giving up once the
activity is 7 days old. 410 Gone and other 4xx answers are final; 429 and 503 wait for
Retry-After when the server sends one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from activitypub.hostnames import InvalidHost, host_of
from content.accounts import Account
from content.orm import Base, new_id, utcnow
from federation.jobs import LEASE, OPEN_STATES, Job, announce, claim_index, lease_due
from federation.proofs import prove

SCHEDULE = [
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
]
GIVE_UP_AFTER = timedelta(days=7)
MAX_RETRY_AFTER = timedelta(hours=12)


class Delivery(Job, Base):
    """An activity on its way to one inbox (a shared inbox serves a whole server)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("activity_id", "inbox"), claim_index("deliveries"))

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    activity_id: Mapped[str] = mapped_column(String(2048))
    inbox: Mapped[str] = mapped_column(String(2048))
    host: Mapped[str] = mapped_column(String(255), index=True)
    body: Mapped[str] = mapped_column(Text)
    signer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Claimed(NamedTuple):
    """A delivery this worker holds, as sending needs it: no ORM row, and a body shared by
    every delivery of the same activity in the claim (`claim`)."""

    id: int
    inbox: str
    host: str
    signer_id: int
    claim: str
    body: bytes


async def claim(
    session: AsyncSession, limit: int, *where: ColumnElement[bool], lease: timedelta = LEASE
) -> list[Claimed]:
    """Lease up to `limit` due deliveries (that also meet `where`) and read what sending
    them needs, in one statement of only those columns: each distinct body is read and
    encoded once (a post to 1,000 servers is 1,000 rows of the same body), the rows of a
    body pointing at the first of them (a window over the body, so bodies that differ are
    never mixed up). Loading an ORM row with its own copy of the body for each delivery was
    ~15 % of a fan-out's CPU (issue 18)."""
    token = await lease_due(session, Delivery, limit, *where, lease=lease)
    table = Delivery.__table__
    rows = (
        await session.execute(
            select(
                table.c.id,
                table.c.inbox,
                table.c.host,
                table.c.signer_id,
                func.first_value(table.c.id).over(partition_by=table.c.body, order_by=table.c.id),
                case(
                    (
                        func.row_number().over(partition_by=table.c.body, order_by=table.c.id) == 1,
                        table.c.body,
                    )
                ),
            ).where(table.c.claim == token)
        )
    ).all()
    bodies = {row[0]: row[5].encode("utf-8") for row in rows if row[5] is not None}
    return [Claimed(row[0], row[1], row[2], row[3], token, bodies[row[4]]) for row in rows]


async def refuse(
    session: AsyncSession, refused: list[Claimed], confidential: Collection[int]
) -> None:
    """End these claimed deliveries as refused by the policy (a block takes effect on
    deliveries queued before it), forgetting the bodies of `confidential` signers
    (`forget_if_ended`), in the caller's transaction."""
    table = Delivery.__table__
    assert isinstance(table, Table)
    for forget in (False, True):
        ids = [job.id for job in refused if (job.signer_id in confidential) is forget]
        if not ids:
            continue
        await session.execute(
            update(table)
            .where(table.c.id.in_(ids), table.c.claim == refused[0].claim)
            .values(
                state="refused",
                last_error="refused by this node's federation policy",
                claim=None,
                locked_until=None,
                **({"body": ""} if forget else {}),
            )
        )


def forget_if_ended(job: Delivery, confidential: Collection[int]) -> None:
    """An ended delivery signed by one of the `confidential` signers (the instance actor,
    which sends what members tell in confidence: a correction or her experience of a
    service, a report forwarded) keeps no body: her words stay on this node no longer than
    it takes to send them. Its state and error are kept for inspection."""
    if job.state not in OPEN_STATES and job.signer_id in confidential:
        job.body = ""


def next_attempt(attempts: int, *, age: timedelta) -> timedelta | None:
    """The wait before attempt `attempts + 1`, or None once the activity is too old."""
    if age >= GIVE_UP_AFTER:
        return None
    base = SCHEDULE[attempts - 1] if attempts <= len(SCHEDULE) else timedelta(days=1)
    return base * random.uniform(0.8, 1.2)


def retry_after(value: str | None) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a wait, capped at 12 hours."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        wait = timedelta(seconds=min(int(value[:12]), int(MAX_RETRY_AFTER.total_seconds())))
    else:
        try:
            wait = parsedate_to_datetime(value) - utcnow()
        except (TypeError, ValueError, OverflowError):
            return None
    return min(max(wait, timedelta(seconds=1)), MAX_RETRY_AFTER)


async def enqueue(
    session: AsyncSession, activity: dict[str, Any], signer_id: int, inboxes: Iterable[str]
) -> int:
    """Queue `activity` for each inbox, in the caller's transaction, with the signer's
    integrity proof when it is the signer's own; returns how many."""
    signer = await session.get(Account, signer_id)
    if signer is not None:
        activity = prove(activity, signer)
    body = json.dumps(activity, separators=(",", ":"), ensure_ascii=False)
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "activity_id": activity["id"],
            "inbox": inbox,
            "host": host,
            "body": body,
            "signer_id": signer_id,
            "created_at": now,
            "state": "queued",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for inbox, host in _with_hosts(inboxes)
    ]
    if rows:
        await session.execute(insert(Delivery), rows)
        await announce(session)
    return len(rows)


def _with_hosts(inboxes: Iterable[str]) -> list[tuple[str, str]]:
    """Each inbox with its canonical host; an unparseable inbox URL is skipped."""
    pairs = []
    for inbox in sorted(set(inboxes)):
        try:
            pairs.append((inbox, host_of(inbox)))
        except InvalidHost:
            continue
    return pairs
