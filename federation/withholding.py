"""What may no longer go to the remote accounts a moderator suspended, though it was queued
for them before: a worker asks at each claim and again before each send (`policy_recheck`).

A delivery's addressing read its recipients as they were when it was queued: a post queued
for an account as she was suspended, or waiting for her server to answer again, still went
to her. Now a delivery is withheld (ended refused) when it is for suspended accounts alone:
sent to the own inbox of one of them, or to a shared inbox with every account its activity
addresses (to, cc, bto, bcc, audience) suspended, as a direct message to her is. What also
addresses a collection (followers, the public) or someone else still goes. What takes back
or refuses (TO_SUSPENDED) goes in any case.

An own inbox counts only on its account's server and when no account there that is not
suspended uses it (as its inbox or its server's shared inbox): an actor document names any
inbox, and a hostile account naming another server's shared inbox as hers had every
delivery to that server refused once suspended (attack13), as had a server's other accounts
where one inbox serves them all. A suspended account's inboxes are kept as they were
(`accounts._copy_actor`): one she changed by publishing another actor document had her
whole queue sent to the new spelling.

The suspended accounts are read again only when the policy's generation moved (a
suspension moves it: migration 0067), not at every claim and every second of sending: 50,000
of them took 61-75 ms to read (attack13)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from activitypub.hostnames import InvalidHost, host_of
from content.accounts import Account
from moderation import verdicts

# What still goes to a suspended account: her follow's Reject (the suspension sends it),
# deletions, undoings, blocks, and a moderator's report about her to her server.
TO_SUSPENDED = frozenset({"Delete", "Reject", "Undo", "Block", "Flag"})
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")


@dataclass(frozen=True)
class Suspended:
    """The suspended remote accounts, as of one policy generation."""

    generation: int
    inboxes: frozenset[str]  # their own inboxes that count (above)
    uris: frozenset[str]  # their ids

    def withholds(self, inbox: str, body: bytes) -> bool:
        """Whether a delivery of `body` to `inbox` is for suspended accounts alone (and not
        a take-back): it may not go."""
        kind, addressed = _read(body)
        if kind in TO_SUSPENDED:
            return False
        return inbox in self.inboxes or (bool(addressed) and addressed <= self.uris)


NOT_READ = Suspended(-1, frozenset(), frozenset())


async def suspended(session: AsyncSession, known: Suspended = NOT_READ) -> Suspended:
    """The suspended remote accounts now: `known` while the policy's generation is its."""
    generation = await verdicts.generation(session)
    if generation == known.generation:
        return known
    rows = (
        await session.execute(
            select(Account.uri, Account.inbox_uri, Account.domain).where(
                Account.suspended_at.is_not(None), Account.domain.is_not(None)
            )
        )
    ).all()
    inboxes = {inbox for _, inbox, domain in rows if _on(inbox, domain)}
    if inboxes:
        inboxes -= await _used_by_others(session)
    return Suspended(generation, frozenset(inboxes), frozenset(uri for uri, _, _ in rows))


async def _used_by_others(session: AsyncSession) -> set[str]:
    """The suspended accounts' inboxes that an account of their server that is not
    suspended uses as its inbox or shared inbox (each server's accounts by its index)."""
    other = aliased(Account)
    found = await session.scalars(
        select(Account.inbox_uri)
        .join(other, other.domain == Account.domain)
        .where(
            Account.suspended_at.is_not(None),
            Account.domain.is_not(None),
            other.suspended_at.is_(None),
            or_(other.inbox_uri == Account.inbox_uri, other.shared_inbox_uri == Account.inbox_uri),
        )
        .distinct()
    )
    return set(found)


def _on(uri: str, host: str | None) -> bool:
    try:
        return host_of(uri) == host
    except InvalidHost:
        return False


@lru_cache(maxsize=16)  # a claim's deliveries share a few bodies: read once each
def _read(body: bytes) -> tuple[str | None, frozenset[str]]:
    """An activity's type (None if the body is not one: forgotten, b"") and the ids it
    addresses."""
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):
        return None, frozenset()
    if not isinstance(activity, dict):
        return None, frozenset()
    addressed: set[str] = set()
    for field in ADDRESSING:
        value = activity.get(field)
        addressed.update(
            v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
        )
    kind = activity.get("type")
    return (kind if isinstance(kind, str) else None), frozenset(addressed)
