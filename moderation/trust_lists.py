"""Shared trust lists: subscriptions to another member organisation's published block- or
allowlist, reviewed as a diff against this node and applied only when an admin says so.

Applied entries remember the list they came from, so a review proposes removing only what
that list brought, never a block an admin made by hand.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from activitypub.hostnames import host_of
from content import accounts
from content.accounts import Account
from content.orm import Base, new_id, utcnow
from moderation import allowlist, audit, domain_blocks
from moderation.domain_blocks import BlockTerms, DomainBlock, Severity
from moderation.domain_names import candidates, is_public_suffix, normalise
from moderation.published_lists import Published

STRICTNESS = {Severity.NOOP: 0, Severity.SILENCE: 1, Severity.SUSPEND: 2}
# An automatically applied list lifts at most this many entries in one fetch; a list that
# suddenly drops more (emptied by mistake, or taken over) waits for an admin instead.
MAX_AUTOMATIC_REMOVALS = 10
# Changes applied in one transaction: a suspension purges what the node keeps from the
# domain, tens of milliseconds each on a busy machine, and SQLite has one writer.
APPLY_BATCH = 10


class Kind(StrEnum):
    """What a subscribed list feeds: domain blocks or the allowlist."""

    BLOCKLIST = "blocklist"
    ALLOWLIST = "allowlist"


class TrustListError(ValueError):
    """A subscription that cannot be made or found; the message says why."""


class TrustList(Base):
    """A subscription to a published list, with the copy last fetched for review."""

    __tablename__ = "trust_lists"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default=Kind.BLOCKLIST)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetched_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    reviewed: Mapped[str | None] = mapped_column(Text)  # JSON of the entries last reviewed
    # Changes fetched by the worker are applied at once (see `automatic`), not held for review.
    auto_apply: Mapped[bool] = mapped_column(default=False)


class TrustListEntry(Base):
    """A domain a subscription put in place here (its provenance)."""

    __tablename__ = "trust_list_entries"

    list_id: Mapped[int] = mapped_column(
        ForeignKey("trust_lists.id", ondelete="CASCADE"), primary_key=True
    )
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class Action(StrEnum):
    ADD = "add"
    CHANGE = "change"
    REMOVE = "remove"


@dataclass(frozen=True)
class Change:
    """One pending change; `before` is the severity here now, for a change."""

    action: Action
    entry: BlockTerms
    before: Severity | None = None


@dataclass(frozen=True)
class Review:
    """What applying a list would do here, and what it cannot apply."""

    changes: tuple[Change, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def diff(
    kind: Kind,
    published: Published,
    current: Mapping[str, Severity | None],
    brought: Collection[str],
    kept_elsewhere: Collection[str] = (),
) -> Review:
    """The changes from this node's `current` state (domain -> severity, or None when only
    allowed) to the published list. A severity is changed when the list brought the block or
    is stricter than ours; removals are only of domains this list `brought` and no other
    subscription keeps."""
    changes: list[Change] = []
    listed = {entry.domain: entry for entry in published.entries}
    for name, entry in listed.items():
        if name not in current:
            changes.append(Change(Action.ADD, entry))
            continue
        before = current[name]
        if kind == Kind.BLOCKLIST and before is not None and before != entry.severity:
            stricter = STRICTNESS[entry.severity] > STRICTNESS[before]
            if name in brought or stricter:
                changes.append(Change(Action.CHANGE, entry, before))
    for name in sorted(set(brought) - set(listed) - set(kept_elsewhere)):
        if name in current:
            changes.append(Change(Action.REMOVE, BlockTerms(name), current[name]))
    return Review(tuple(changes), published.skipped)


async def subscribe(
    session: AsyncSession, url: str, kind: Kind, name: str = "", *, auto_apply: bool = False
) -> TrustList:
    """Subscribe to a list at `url`: the worker fetches it soon and then every few hours;
    its changes wait for an admin's review unless `auto_apply`."""
    if not url.startswith(("https://", "http://")):
        raise TrustListError(f"{url!r} is not an http(s) URL")
    name = name or normalise(url) + ("/allowlist" if kind == Kind.ALLOWLIST else "")
    taken = await session.scalar(
        select(TrustList).where(or_(TrustList.url == url, TrustList.name == name))
    )
    if taken is not None:
        raise TrustListError(f"already subscribed as {taken.name} ({taken.url}); try --name")
    row = TrustList(name=name, url=url, kind=kind, auto_apply=auto_apply)
    session.add(row)
    await session.flush()
    return row


async def due(session: AsyncSession, fetched_before: datetime) -> list[int]:
    """The subscriptions never fetched, or last fetched before `fetched_before`."""
    query = select(TrustList.id).where(
        or_(TrustList.last_fetched_at.is_(None), TrustList.last_fetched_at < fetched_before)
    )
    return list(await session.scalars(query))


async def claim(session: AsyncSession, list_id: int, fetched_before: datetime) -> bool:
    """Take a due subscription for fetching (False if another worker took it first)."""
    result = await session.execute(
        update(TrustList)
        .where(
            TrustList.id == list_id,
            or_(TrustList.last_fetched_at.is_(None), TrustList.last_fetched_at < fetched_before),
        )
        .values(last_fetched_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fetch_soon(row: TrustList) -> None:
    """Have the worker fetch this subscription on its next look."""
    row.last_fetched_at = None


def automatic(found: Review) -> list[Change]:
    """What an automatically applied list applies now: everything, unless it would lift
    more than MAX_AUTOMATIC_REMOVALS entries at once; then only its additions and changes."""
    removals = [c for c in found.changes if c.action == Action.REMOVE]
    if len(removals) <= MAX_AUTOMATIC_REMOVALS:
        return list(found.changes)
    return [c for c in found.changes if c.action != Action.REMOVE]


async def pending(session: AsyncSession, row: TrustList) -> Review:
    """The changes the copy last fetched would still make here (none if never fetched)."""
    if row.reviewed is None:
        return Review(())
    return await review(session, row, reviewed_copy(row))


async def all_lists(session: AsyncSession) -> Sequence[TrustList]:
    """Every subscription, by name."""
    return (await session.scalars(select(TrustList).order_by(TrustList.name))).all()


async def applied_counts(session: AsyncSession) -> dict[int, int]:
    """How many entries each subscription has in place here, by subscription id."""
    query = select(TrustListEntry.list_id, func.count()).group_by(TrustListEntry.list_id)
    return {list_id: count for list_id, count in await session.execute(query)}


async def find(session: AsyncSession, name_or_url: str) -> TrustList:
    """A subscription by its name or URL."""
    row = await session.scalar(
        select(TrustList).where(or_(TrustList.name == name_or_url, TrustList.url == name_or_url))
    )
    if row is None:
        raise TrustListError(f"there is no subscription {name_or_url!r} (see `harbour trust list`)")
    return row


async def unsubscribe(session: AsyncSession, row: TrustList) -> None:
    """End a subscription; what it applied stays, and no longer counts as brought by it."""
    await session.delete(row)


def record_fetch(row: TrustList, published: Published | None, error: str | None) -> None:
    """Note a fetch: the copy to review and apply, or why there is none."""
    row.last_fetched_at = utcnow()
    row.last_error = error
    if published is not None:
        row.reviewed = json.dumps(
            {
                "entries": [asdict(entry) for entry in published.entries],
                "skipped": [list(pair) for pair in published.skipped],
            }
        )


def reviewed_copy(row: TrustList) -> Published:
    """The list as last fetched for review; applying uses this, never a newer fetch."""
    if row.reviewed is None:
        raise TrustListError(f"{row.name} has not been reviewed: run `harbour trust review` first")
    stored = json.loads(row.reviewed)
    entries = [BlockTerms(**{**e, "severity": Severity(e["severity"])}) for e in stored["entries"]]
    skipped = [(str(name), str(why)) for name, why in stored["skipped"]]
    return Published(tuple(entries), tuple(skipped))


async def review(session: AsyncSession, row: TrustList, published: Published) -> Review:
    """The diff between `published` and this node's current state."""
    brought = set(
        await session.scalars(select(TrustListEntry.domain).where(TrustListEntry.list_id == row.id))
    )
    others = set(
        await session.scalars(select(TrustListEntry.domain).where(TrustListEntry.list_id != row.id))
    )
    current: dict[str, Severity | None]
    if row.kind == Kind.ALLOWLIST:
        current = dict.fromkeys(await allowlist.allowed_domains(session))
    else:
        published = await _without_protected(session, published)
        blocks = await domain_blocks.all_blocks(session)
        current = {block.domain: Severity(block.severity) for block in blocks}
    return diff(Kind(row.kind), published, current, brought, others)


async def _still_wanted(
    session: AsyncSession, row: TrustList, changes: Sequence[Change]
) -> list[Change]:
    """`changes` less what the node's state now makes wrong, read in the applying
    transaction: the review was made earlier (an admin's minutes, or the worker's batches
    before), and meanwhile an admin may have blocked a domain by hand (a list never softens
    her block, nor takes it over) or put a partner on the allowlist (never blocked)."""
    if row.kind != Kind.BLOCKLIST:
        return list(changes)
    setting = [c for c in changes if c.action != Action.REMOVE]
    names = [c.entry.domain for c in setting]
    kept = await _without_protected(session, Published(tuple(c.entry for c in setting)))
    allowed = {entry.domain for entry in kept.entries}
    here = {
        block.domain: Severity(block.severity)
        for block in await session.scalars(select(DomainBlock).where(DomainBlock.domain.in_(names)))
    }
    brought = set(
        await session.scalars(
            select(TrustListEntry.domain).where(
                TrustListEntry.list_id == row.id, TrustListEntry.domain.in_(names)
            )
        )
    )
    wanted = []
    for change in changes:
        name, before = change.entry.domain, here.get(change.entry.domain)
        if change.action != Action.REMOVE and (
            name not in allowed
            or (
                before is not None
                and name not in brought
                and STRICTNESS[change.entry.severity] <= STRICTNESS[before]
            )
        ):
            continue
        wanted.append(change)
    return wanted


async def _without_protected(session: AsyncSession, published: Published) -> Published:
    """A blocklist without the entries that would cut this node off: itself, a partner on
    its allowlist (or a parent domain of either), or a public suffix such as co.uk, which
    would block every server under it. However trusted a list is, those are an admin's
    decision alone; they are shown as skipped, with the reason."""
    instance = await accounts.instance_actor(session)
    own = candidates(host_of(instance.uri)) if instance is not None else set()
    partners = {name for p in await allowlist.allowed_domains(session) for name in candidates(p)}
    kept: list[BlockTerms] = []
    skipped = list(published.skipped)
    for entry in published.entries:
        if entry.domain in own:
            skipped.append((entry.domain, "this node itself"))
        elif entry.domain in partners:
            skipped.append((entry.domain, "a partner on the allowlist"))
        elif is_public_suffix(entry.domain):
            skipped.append((entry.domain, "a public suffix, with every server under it"))
        else:
            kept.append(entry)
    return Published(tuple(kept), tuple(skipped))


async def block_by_hand(
    session: AsyncSession, terms: BlockTerms, actor: Account | None
) -> DomainBlock:
    """An admin's block or change of a block (`/admin/domains`, the admin API, the command
    line), with its audit entry (`actor` None: the command line). The block is hers from
    now on: no list brought it any more, so a list that later drops the domain does not
    lift it (before, a list's block she had made stricter by hand was lifted with the list's
    retraction); a list may still make it stricter, never milder."""
    row = await domain_blocks.block(session, terms)
    audit.record(session, actor, f"domain.{row.severity}", row.domain, row.private_comment)
    blocklists = select(TrustList.id).where(TrustList.kind == Kind.BLOCKLIST)
    await session.execute(
        delete(TrustListEntry).where(
            TrustListEntry.domain == row.domain, TrustListEntry.list_id.in_(blocklists)
        )
    )
    return row


async def apply_in_batches(
    sessions: async_sessionmaker[AsyncSession],
    list_id: int,
    changes: Sequence[Change],
    actor: Account | None = None,
) -> None:
    """`apply` APPLY_BATCH changes to a transaction, each batch checked again in its own
    (`_still_wanted`), for the worker, `/admin/trust` and `harbour trust apply` alike. In
    one transaction, 500 suspensions held SQLite's one writer for 19 s on two busy cores:
    every inbox POST and every member's post waited, and failed after the busy timeout."""
    for start in range(0, len(changes), APPLY_BATCH):
        async with sessions() as session, session.begin():
            row = await session.get(TrustList, list_id)
            if row is None:  # unsubscribed meanwhile
                return
            await apply(session, row, changes[start : start + APPLY_BATCH], actor)


async def apply(
    session: AsyncSession,
    row: TrustList,
    changes: Sequence[Change],
    actor: Account | None = None,
) -> None:
    """Apply changes from `row`'s reviewed copy, writing an audit entry for each (by
    `actor`, or the command line and the worker when None); a suspension purges what this
    node keeps from the domain, as a hand-made one does."""
    reason = f"from trust list {row.name}"
    for change in await _still_wanted(session, row, changes):
        name = change.entry.domain
        if change.action == Action.REMOVE:
            await session.execute(
                delete(TrustListEntry).where(
                    TrustListEntry.list_id == row.id, TrustListEntry.domain == name
                )
            )
            if row.kind == Kind.ALLOWLIST:
                await allowlist.disallow(session, name)
                audit.record(session, actor, "domain.disallow", name, reason)
            else:
                await domain_blocks.unblock(session, name)
                audit.record(session, actor, "domain.unblock", name, reason)
            continue
        if row.kind == Kind.ALLOWLIST:
            await allowlist.allow(session, name)
            audit.record(session, actor, "domain.allow", name, reason)
        else:
            terms = replace(change.entry, private_comment=reason)
            await domain_blocks.block(session, terms)
            audit.record(session, actor, f"domain.{terms.severity}", name, reason)
        if await session.get(TrustListEntry, (row.id, name)) is None:
            session.add(TrustListEntry(list_id=row.id, domain=name))
    await session.flush()
