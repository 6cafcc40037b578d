"""Outbound deliveries: one row per activity and inbox, signed when sent, retried for days.

Retry schedule after a failed attempt (5xx, timeout, refused connection), each delay with
+-20 % jitter: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, then daily, giving up once the
activity is 7 days old. 410 Gone and other 4xx answers are final; 429 and 503 wait for
Retry-After when the server sends one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Insert,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, column_property, mapped_column

from activitypub.hostnames import InvalidHost, host_of
from activitypub.jsonld import has_lone_surrogate
from content.accounts import Account
from content.orm import Base, in_one_parameter, json_rows, new_id, utcnow
from federation.jobs import (
    LEASE,
    OPEN_STATES,
    Job,
    announce,
    claim_index,
    due_now,
    finishing,
    lease_statement,
    run_time,
)
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
FORGOTTEN = "harbour.forgotten_bodies"  # session.info: bodies to ask about after the commit


class DeliveryBody(Base):
    """An activity's body as sent, stored once for all its deliveries: a delivery row is
    rewritten when it is leased and again when it ends, and on both databases a body kept in
    it was rewritten with it (issue 18). Deleted once no delivery refers to it."""

    __tablename__ = "delivery_bodies"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    body: Mapped[str] = mapped_column(Text)


class Delivery(Job, Base):
    """An activity on its way to one inbox (a shared inbox serves a whole server)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("activity_id", "inbox"), claim_index("deliveries"))

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    activity_id: Mapped[str] = mapped_column(String(2048))
    inbox: Mapped[str] = mapped_column(String(2048))
    host: Mapped[str] = mapped_column(String(255), index=True)
    # None once forgotten (`forget_bodies`)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_bodies.id"), index=True)
    signer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The body as read (inspection, tests), "" once forgotten; written through `enqueue` only.
    body: Mapped[str] = column_property(
        func.coalesce(
            select(DeliveryBody.body).where(DeliveryBody.id == body_id).scalar_subquery(), ""
        )
    )


DELIVERIES = cast(Table, Delivery.__table__)
_first = itemgetter(0)  # a row's id: rows compared whole cost ~8 ms a claim of 1,000
_UNUSED = ~exists().where(DELIVERIES.c.body_id == DeliveryBody.id)  # no delivery refers to it


class Claimed(NamedTuple):
    """A delivery this worker holds, as sending needs it: no ORM row, and a body shared by
    every delivery of the same activity in the claim (`claim`)."""

    id: int
    inbox: str
    host: str
    signer_id: int
    claim: str
    body: bytes
    attempts: int  # before this one
    created_at: datetime


async def claim(
    session: AsyncSession,
    limit: int,
    *where: ColumnElement[bool],
    lease: timedelta = LEASE,
    owner: str = "",
) -> list[Claimed]:
    """Lease up to `limit` due deliveries (that also meet `where`) and read what sending
    them needs, returned by the leasing UPDATE (only those columns), then each distinct
    body once, read and encoded (a post to 1,000 servers is 1,000 deliveries of one
    body). Loading an ORM row with its own copy of the body for each delivery was ~15 % of
    a fan-out's CPU (issue 18). The claim's token starts with `owner` (`liveness`)."""
    token, leasing = lease_statement(session, Delivery, limit, *where, lease=lease, owner=owner)
    c = DELIVERIES.c
    columns = (c.id, c.inbox, c.host, c.signer_id, c.body_id, c.attempts, c.created_at)
    # The leased rows come back from the UPDATE itself (RETURNING, both databases), in the
    # order they were made: no SELECT of them after the commit.
    rows = sorted((await session.execute(leasing.returning(*columns))).all(), key=_first)
    await session.commit()
    if not rows:
        return []
    found = await session.execute(
        select(DeliveryBody.id, DeliveryBody.body).where(
            DeliveryBody.id.in_({row[4] for row in rows})
        )
    )
    bodies = {body_id: body.encode("utf-8") for body_id, body in found}
    return [
        Claimed(row[0], row[1], row[2], row[3], token, bodies.get(row[4], b""), row[5], row[6])
        for row in rows
    ]


async def hosts_due(session: AsyncSession, among: list[str]) -> set[str]:
    """Those of the hosts `among` that have deliveries due now (a claim passed over the
    hosts being sent to: `Worker._claim_and_send`)."""
    if not among:
        return set()
    found = await session.scalars(
        select(Delivery.host)
        .distinct()
        .where(*due_now(Delivery, utcnow()), hosts_in(session, among))
    )
    return set(found)


@cache  # built on the first pass, not at import (mappers are configured after start-up)
def any_due() -> Select[bool]:
    """Whether any delivery is due, in one SELECT (an idle worker's check before a claim)."""
    return select(select(Delivery.id).where(*due_now(Delivery, run_time(Delivery))).exists())


def hosts_in(session: AsyncSession, hosts: Collection[str]) -> ColumnElement[bool]:
    """`Delivery.host IN hosts`, the hosts as one parameter (`in_one_parameter`): those
    being sent to in a fan-out were 500 parameters at each claim (issue 18)."""
    return in_one_parameter(session, DELIVERIES.c.host, hosts)


async def end_held(
    session: AsyncSession,
    held: list[Claimed],
    confidential: Collection[int],
    state: str,
    **values: Any,
) -> set[int]:
    """Close in `state`, setting `values` too, those of these claimed deliveries this worker
    still holds, one UPDATE per claim token (and per kind of signer): those of `confidential`
    signers forget their body (`forget_bodies`). Returns the ids closed."""
    closed: set[int] = set()
    groups: dict[tuple[str, bool], list[int]] = {}
    for job in held:
        groups.setdefault((job.claim, job.signer_id in confidential), []).append(job.id)
    if not groups:
        return closed
    ending = finishing(Delivery, state, returning=(DELIVERIES.c.body_id,), **values)
    for (token, forget), ids in groups.items():
        ended = (await session.execute(ending, {"ids": ids, "token": token})).all()
        closed.update(row[0] for row in ended)
        if forget:
            await forget_bodies(session, [row[0] for row in ended], {row[1] for row in ended})
    return closed


async def refuse(
    session: AsyncSession, refused: list[Claimed], confidential: Collection[int]
) -> None:
    """End these claimed deliveries as refused by the policy (a block takes effect on
    deliveries queued before it), forgetting the bodies of `confidential` signers
    (`forget_bodies`), in the caller's transaction."""
    await end_held(
        session,
        refused,
        confidential,
        "refused",
        last_error="refused by this node's federation policy",
    )


async def forget_bodies(
    session: AsyncSession, delivery_ids: Collection[int], body_ids: Collection[int | None]
) -> None:
    """These ended deliveries, signed by the instance actor (which sends what members tell
    in confidence: a correction or her experience of a service, a report forwarded), keep no
    body: her words stay on this node no longer than it takes to send them. Their state and
    error are kept for inspection; a body no delivery refers to any more goes at once, or,
    if another transaction still had one open, after the commit (`drop_forgotten`)."""
    if not delivery_ids:
        return
    table = DELIVERIES
    await session.execute(
        update(table)
        .where(table.c.id.in_(list(delivery_ids)), table.c.state.not_in(OPEN_STATES))
        .values(body_id=None)
    )
    bodies = {i for i in body_ids if i is not None}
    kept = bodies - await _drop_unused(session, bodies)
    session.info.setdefault(FORGOTTEN, set()).update(kept)


async def drop_forgotten(session: AsyncSession) -> None:
    """After the commit of `forget_bodies`: drop, and commit, the bodies it kept because a
    delivery was still open then. Two PostgreSQL workers ending a body's last two deliveries
    at once each saw the other's still open (neither had committed), and the body stayed
    until the hourly prune; asked again after its own commit, the later of the two sees
    both ended. A body with a delivery really open stays, until that one ends."""
    if bodies := session.info.pop(FORGOTTEN, None):
        await _drop_unused(session, bodies)
        await session.commit()


async def _drop_unused(session: AsyncSession, body_ids: Collection[int]) -> set[int]:
    """Delete these bodies where no delivery refers to them; the ids that went."""
    if not body_ids:
        return set()
    unused = delete(DeliveryBody).where(_UNUSED, DeliveryBody.id.in_(list(body_ids)))
    unused = unused.execution_options(synchronize_session=False)
    return set(await session.scalars(unused.returning(DeliveryBody.id)))


async def drop_unused_bodies(session: AsyncSession) -> int:
    """Delete the bodies no delivery refers to any more; returns how many went."""
    unused = delete(DeliveryBody).where(_UNUSED).execution_options(synchronize_session=False)
    result = await session.execute(unused)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
    session: AsyncSession,
    activity: dict[str, Any],
    signer_id: int,
    inboxes: Iterable[str] | Mapping[str, str],
) -> int:
    """Queue `activity` for each inbox, in the caller's transaction, with the signer's
    integrity proof when it is the signer's own; returns how many. A mapping gives each
    inbox's canonical host already (as `addressing` answers, having read them for the
    policy): a fan-out's 1,000 inboxes were parsed twice. The rows go in one statement
    (`json_rows`): 1,000 of them were 1,000 statements on PostgreSQL (issue 18)."""
    pairs = _with_hosts(inboxes)
    if not pairs:
        return 0
    signer = await session.get(Account, signer_id)
    if signer is not None:
        activity = prove(activity, signer)
    body = json.dumps(activity, separators=(",", ":"), ensure_ascii=False)
    now, body_id = utcnow(), new_id()
    rows = [{"id": new_id(), "inbox": inbox, "host": host} for inbox, host in pairs]
    await session.execute(insert(DeliveryBody), [{"id": body_id, "body": body}])
    await session.execute(
        _insert(session.bind.dialect.name),  # type: ignore[union-attr]
        {
            "rows": json.dumps(rows),
            "activity_id": activity["id"],
            "body_id": body_id,
            "signer_id": signer_id,
            "created_at": now,
            "state": "queued",
            "attempts": 0,
            "next_attempt_at": now,
        },
    )
    await announce(session)
    return len(rows)


_EACH = ("id", "inbox", "host")  # one value a delivery
_SAME = (
    "activity_id",
    "body_id",
    "signer_id",
    "created_at",
    "state",
    "attempts",
    "next_attempt_at",
)


@cache  # one statement for each database, built on first use
def _insert(dialect: str) -> Insert:
    """The INSERT of an activity's deliveries (`enqueue`)."""
    rows = json_rows(dialect, DELIVERIES, _EACH, _SAME)
    return insert(DELIVERIES).from_select([*_EACH, *_SAME], rows)


def _with_hosts(inboxes: Iterable[str] | Mapping[str, str]) -> list[tuple[str, str]]:
    """Each inbox with its canonical host, in order; an inbox URL that is unparseable, or
    that is not Unicode text that can be stored (a lone surrogate), is skipped."""
    if isinstance(inboxes, Mapping):
        pairs = sorted(inboxes.items())
    else:
        pairs = []
        for inbox in sorted(set(inboxes)):
            try:
                pairs.append((inbox, host_of(inbox)))
            except InvalidHost:
                continue
    # JSON carries a lone surrogate as an escape, which SQLite's `json_each` would store as
    # bytes no read decodes (attack20).
    return [(inbox, host) for inbox, host in pairs if not has_lone_surrogate(inbox)]
