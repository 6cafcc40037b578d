"""`harbour trust ...`: subscribing to other organisations' lists, reviewing, applying."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from federation.trust_sources import SourceError, fetch_list
from moderation import trust_lists
from moderation.domain_names import normalise
from moderation.trust_lists import (
    Action,
    Change,
    Kind,
    Review,
    TrustList,
    TrustListError,
)
from node.app import create_federation
from node.commands import CommandError, session_for
from node.database import create_engine, create_sessionmaker, session_scope
from node.settings import Settings


async def subscribe(settings: Settings, args: argparse.Namespace) -> None:
    """Subscribe to a published list; nothing is fetched or applied yet."""
    kind = Kind.ALLOWLIST if args.allowlist else Kind.BLOCKLIST
    async with session_for(settings) as session:
        with _plainly():
            row = await trust_lists.subscribe(session, args.url, kind, args.name or "")
        name = row.name
    print(f"Subscribed to {name} ({kind}). See what it would change: harbour trust review {name}")


async def list_subscriptions(settings: Settings, _args: argparse.Namespace) -> None:
    """Print every subscription, when it was fetched and what went wrong last."""
    async with session_for(settings) as session:
        rows = await trust_lists.all_lists(session)
        counts = await trust_lists.applied_counts(session)
    if not rows:
        print("No subscriptions. Add one: harbour trust subscribe URL")
    for row in rows:
        fetched = f"{row.last_fetched_at:%Y-%m-%d %H:%M}" if row.last_fetched_at else "never"
        print(f"{row.name}  {row.kind}  {row.url}")
        print(f"  fetched {fetched}; {counts.get(row.id, 0)} applied here")
        if row.last_error:
            print(f"  last error: {row.last_error}")


async def review(settings: Settings, args: argparse.Namespace) -> None:
    """Fetch one list (or every list) and print the changes it would make here."""
    engine = create_engine(settings.database_url)
    federation = create_federation(settings, create_sessionmaker(engine))
    errors = []
    try:
        async with session_scope(federation.sessions) as session:
            for row in await _targets(session, args.list):
                try:
                    published = await fetch_list(federation, session, row.url)
                except SourceError as error:
                    trust_lists.record_fetch(row, None, str(error))
                    errors.append(f"{row.name}: {error}")
                    continue
                trust_lists.record_fetch(row, published, None)
                _print_review(row, await trust_lists.review(session, row, published))
    finally:
        await federation.transport.aclose()
        await engine.dispose()
    if errors:
        raise CommandError("; ".join(errors))


async def apply(settings: Settings, args: argparse.Namespace) -> None:
    """Apply the changes of the last review (all of them, or `--only` some domains)."""
    only = {normalise(name) for name in args.only or ()}
    planned: list[tuple[TrustList, list[Change]]] = []
    async with session_for(settings) as session:
        for row in await _targets(session, args.list):
            with _plainly():
                copy = trust_lists.reviewed_copy(row)
            changes = (await trust_lists.review(session, row, copy)).changes
            chosen = [c for c in changes if not only or c.entry.domain in only]
            only -= {c.entry.domain for c in chosen}
            planned.append((row, chosen))
    if only:
        raise CommandError(f"no pending change for {', '.join(sorted(only))}; nothing applied")
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    try:  # a batch to a transaction: the node goes on writing meanwhile
        for row, chosen in planned:
            await trust_lists.apply_in_batches(sessions, row.id, chosen)
            for change in chosen:
                print(f"{row.name}: {_describe(row, change)}")
    finally:
        await engine.dispose()
    done = sum(len(chosen) for _, chosen in planned)
    print(f"{done} change{'' if done == 1 else 's'} applied; they take effect at once.")


async def unsubscribe(settings: Settings, args: argparse.Namespace) -> None:
    """End a subscription; the blocks or allowed hosts it brought stay in place."""
    async with session_for(settings) as session:
        with _plainly():
            row = await trust_lists.find(session, args.list)
        name = row.name
        await trust_lists.unsubscribe(session, row)
    print(f"Unsubscribed from {name}. What it applied stays (see `harbour domain list`).")


async def _targets(session: AsyncSession, name: str | None) -> Sequence[TrustList]:
    if name:
        with _plainly():
            return [await trust_lists.find(session, name)]
    rows = await trust_lists.all_lists(session)
    if not rows:
        raise CommandError("there are no subscriptions (harbour trust subscribe URL)")
    return rows


@contextmanager
def _plainly() -> Iterator[None]:
    """A subscription error as the command's one-line error."""
    try:
        yield
    except TrustListError as error:
        raise CommandError(str(error)) from None


def _print_review(row: TrustList, found: Review) -> None:
    count = len(found.changes)
    print(f"{row.name} ({row.kind}, {row.url}): {count} change{'' if count == 1 else 's'}")
    for change in found.changes:
        print(f"  {_describe(row, change)}")
    for name, why in found.skipped:
        print(f"  skip    {name} ({why}: cannot be applied)")
    if count:
        print(f"Apply with: harbour trust apply {row.name} [--only DOMAIN ...]")


def _describe(row: TrustList, change: Change) -> str:
    entry = change.entry
    if change.action == Action.ADD:
        what = "allow" if row.kind == Kind.ALLOWLIST else entry.severity
        comment = f"  ({entry.public_comment})" if entry.public_comment else ""
        return f"add     {what:<8} {entry.domain}{comment}"
    if change.action == Action.CHANGE:
        return f"change  {change.before} -> {entry.severity} {entry.domain}"
    return f"remove  {change.before or 'allowed'} {entry.domain}"
