"""Inbound activities: checked and stored by `receive`, applied later by the worker.

`receive` runs in the request: size and shape, digest and signature, key owner and origin,
the federation policy, then a durable row (deduplicated by activity id). `apply` runs in the
worker and hands the stored activity to its handler in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from activitypub import SignatureError, id_of
from activitypub.digests import check_digest
from activitypub.signatures import RequestParts, signature_of
from content.orm import Base, new_id, utcnow
from federation import hosts
from federation.authenticity import NotAuthentic, check_origin, signed_by
from federation.context import Federation
from federation.delivery import Delivery
from federation.jobs import Job
from moderation.policy import may_federate_with
from moderation.rate_limits import Action, RateLimited

MAX_DEPTH = 16


class InboxItem(Job, Base):
    """A verified activity waiting to be applied (or kept as applied, for deduplication)."""

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    activity_id: Mapped[str] = mapped_column(String(2048), unique=True)
    activity_type: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why it ended as it did, when it was refused or ignored (e.g. "not relevant here").
    outcome: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Outcome:
    """How the inbox answers: 202 accepted, or an error status with a clear message."""

    status: int
    message: str
    retry_after: int | None = None


async def receive(fed: Federation, parts: RequestParts) -> Outcome:
    """Check an inbox POST and store it for the worker; never applies anything itself."""
    try:
        activity = _parse(parts.body)
    except ValueError as error:
        return Outcome(400, str(error))
    if (parts.header("host") or "").lower() != fed.domain:
        return Outcome(401, "the request is signed for another host")
    actor_uri = id_of(activity.get("actor")) or ""
    async with fed.sessions() as session:
        if not await may_federate_with(session, hosts.host_of(actor_uri), fed.mode):
            return Outcome(403, "this node does not federate with your server")
        try:
            check_digest(parts.header("digest"), parts.body)
            key = await signed_by(fed, session, parts)
            check_origin(activity, key)
        except SignatureError as error:
            return Outcome(401, str(error))
        except NotAuthentic as error:
            await session.commit()  # keep a key fetched on the way, for the next request
            return Outcome(error.status, str(error))
        try:
            fed.limits.take(Action.INBOX, key.domain)
        except RateLimited as limited:
            return Outcome(429, str(limited), limited.retry_after)
        session.add(
            InboxItem(
                activity_id=activity["id"],
                activity_type=str(activity["type"])[:64],
                actor_id=key.account_id,
                body=parts.body.decode("utf-8"),
            )
        )
        if fed.first_word_in_a_while(key.domain) and await hosts.heard_from(session, key.domain):
            await _make_due_now(session, key.domain)
        try:
            await session.commit()
        except IntegrityError:  # a duplicate: the unique activity id refuses it
            fed.keys.forget(signature_of(parts).key_id)  # its account row may be rolled back too
            return Outcome(202, "already received")
    fed.notify()
    return Outcome(202, "accepted")


def _parse(body: bytes) -> dict[str, Any]:
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(activity, dict):
        raise ValueError("an activity must be a JSON object")
    if _depth(activity) > MAX_DEPTH:
        raise ValueError(f"the activity is nested deeper than {MAX_DEPTH} levels")
    for field in ("id", "type", "actor"):
        if not (activity.get(field) if field != "actor" else id_of(activity.get("actor"))):
            raise ValueError(f"an activity needs {field!r}")
    if not isinstance(activity["id"], str) or not isinstance(activity["type"], str):
        raise ValueError("'id' and 'type' must be strings")
    return activity


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


async def _make_due_now(session: AsyncSession, domain: str) -> None:
    """A host that was failing is back: deliver what waits for it without further delay."""
    await session.execute(
        update(Delivery)
        .where(Delivery.host == domain, Delivery.state == "retry")
        .values(next_attempt_at=utcnow())
    )
