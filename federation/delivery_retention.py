"""Delivery bodies past the node's retention: a body that carries a direct message or a
members-only group post is kept no longer than the message itself (`content.retention`).

A delivery retries for up to 7 days (`delivery.GIVE_UP_AFTER`), and an ended one is kept
for inspection: with a retention of a day, a direct message's words stayed in its body for a
week after the message went. Once a body passes the shortest retention that applies to it,
it is dropped, each of its deliveries lets go of it, and those still open end as failed,
saying why (`GIVEN_UP`, no words of the message).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from content.accounts import Account, by_ids
from content.audience import Visibility
from content.orm import utcnow
from content.retention import Retention
from federation.delivery import DELIVERIES, DeliveryBody
from federation.jobs import OPEN_STATES

GIVEN_UP = "given up: the node's retention of direct messages and members-only posts passed"
WORDS = ("content", "contentMap", "name", "summary", "attachment")  # what a member wrote


def kept_days(activity: object, signer: Account, retention: Retention) -> int | None:
    """The days the node keeps what `activity` carries (the shortest retention that applies
    to it), or None: it carries no member's words (a follow, a like, a deletion), or it is
    public or for followers, which no retention limits."""
    from federation.from_wire import visibility_of  # inbound notes' reading: a body to check

    document = _words_in(activity)
    if document is None:
        return None
    visibility = visibility_of(document, signer)
    if visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return None
    if signer.actor_type == ActorType.GROUP:  # a local group relaying to its members
        return retention.group_days
    if visibility == Visibility.PRIVATE:
        return None
    # Direct, or members-only in a group elsewhere (addressed to the group): the shorter.
    return retention.shortest_days


def _words_in(activity: object) -> dict[str, Any] | None:
    """The object (or an announced activity's object) that carries a member's words."""
    for _ in range(3):
        if not isinstance(activity, dict):
            return None
        if any(activity.get(key) for key in WORDS):
            return activity
        activity = activity.get("object")
    return None


async def give_up_expired(session: AsyncSession, retention: Retention) -> int:
    """Drop the bodies past their retention, in the caller's transaction: their deliveries
    let go of them, and those still open end as failed (`GIVEN_UP`). Only bodies made
    before the shortest retention are read: those of deliveries made by then and open or
    ended since (older ended ones are pruned: `Retention.keep_ended`). Returns how many
    deliveries were given up."""
    shortest = retention.shortest_days
    if shortest is None:
        return 0
    now = utcnow()
    cutoff = now - timedelta(days=shortest)
    c = DELIVERIES.c
    found = await session.execute(
        select(c.body_id, c.signer_id, func.min(c.created_at))
        .where(c.body_id.is_not(None), c.created_at < cutoff, c.next_attempt_at >= cutoff)
        .group_by(c.body_id, c.signer_id)
    )
    made = {(body_id, signer_id): at for body_id, signer_id, at in found}
    if not made:
        return 0
    signers = await by_ids(session, {signer_id for _, signer_id in made})
    bodies = dict(
        (
            await session.execute(
                select(DeliveryBody.id, DeliveryBody.body).where(
                    DeliveryBody.id.in_({body_id for body_id, _ in made})
                )
            )
        ).all()
    )
    expired = []
    for (body_id, signer_id), at in made.items():
        signer = signers.get(signer_id)
        keep = kept_days(_read(bodies.get(body_id, "")), signer, retention) if signer else None
        if keep is not None and at < now - timedelta(days=keep):
            expired.append(body_id)
    if not expired:
        return 0
    given_up = await session.execute(
        update(DELIVERIES)
        .where(c.body_id.in_(expired), c.state.in_(OPEN_STATES))
        .values(state="failed", last_error=GIVEN_UP, next_attempt_at=now)
        .values(claim=None, locked_until=None)
    )
    await session.execute(update(DELIVERIES).where(c.body_id.in_(expired)).values(body_id=None))
    await session.execute(delete(DeliveryBody).where(DeliveryBody.id.in_(expired)))
    return int(given_up.rowcount or 0)  # type: ignore[attr-defined]


def _read(body: str) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None
