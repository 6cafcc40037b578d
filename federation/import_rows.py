"""Applying imported lines, in the worker: each line in its own transaction, through the
same paths as the member's own actions (WebFinger through the SSRF-safe transport and the
federation policy, `outbox.follow`, `outbox.block`, ...).

A line that cannot be applied fails with the reason, kept for her import's page; a server
that is down (`TryLater`) is asked again after a wait, at most `len(RETRIES)` times."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from functools import cache
from itertools import chain, zip_longest

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from content import bookmarks, posts, relationships
from content.accounts import Account
from content.interface_text import N_, Message
from content.orm import utcnow
from content.posts import Post
from federation import import_overwrite, jobs, outbox
from federation.context import Federation
from federation.imports import ImportRow, ListImport, reason_text
from federation.jobs import OPEN_STATES
from federation.outbox import ActionError
from federation.resolve import ResolveError, TryLater, actor_by_handle
from moderation import mutes
from moderation.list_files import Kind

log = logging.getLogger("harbour.imports")
BATCH = 16
AT_ONCE = 4
APPLY_TIMEOUT = 60.0
RETRIES = [timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1)]


class LineFailed(Exception):
    """A line cannot be applied; the message says why, for the member."""


async def run_due(fed: Federation, lease: timedelta) -> int:
    """Apply a batch of due lines, AT_ONCE at a time, then the removals of overwrites whose
    lines have all ended; returns how many lines and overwrites were taken."""
    async with fed.sessions() as session:
        if not await session.scalar(_anything_due()):
            return 0  # one plain SELECT, where a claim and an overwrites' read were two
        claimed = await _claim_fairly(session, lease)
    slots = asyncio.Semaphore(AT_ONCE)

    async def one(row: ImportRow) -> None:
        async with slots:
            await _run(fed, row.id, str(row.claim))

    await asyncio.gather(*(one(row) for row in claimed))
    return len(claimed) + await import_overwrite.finish_due(fed)


@cache  # built on the first pass, not at import (mappers are configured after start-up)
def _anything_due() -> Select[bool]:
    """Whether any line is due or any overwrite's removals are, in one SELECT."""
    lines = select(ImportRow.id).where(*jobs.due_now(ImportRow, jobs.run_time(ImportRow)))
    return select(or_(lines.exists(), import_overwrite.removals_due().exists()))


async def _claim_fairly(session: AsyncSession, lease: timedelta) -> list[ImportRow]:
    """Up to BATCH due lines, shared among the imports that have some and taken in turns:
    a member's 2,000 lines on slow servers once held up another's one line for as long as
    they took (found by the attack on imports)."""
    waiting = await session.scalars(
        select(ImportRow.import_id)
        .where(ImportRow.state.in_(OPEN_STATES), ImportRow.next_attempt_at <= utcnow())
        .group_by(ImportRow.import_id)
        .order_by(func.min(ImportRow.next_attempt_at))
        .limit(BATCH)
    )
    imports = list(waiting)
    share = BATCH // max(len(imports), 1)
    shares = [
        await jobs.claim_due(session, ImportRow, share, ImportRow.import_id == each, lease=lease)
        for each in imports
    ]
    return [row for row in chain(*zip_longest(*shares)) if row is not None]


async def _run(fed: Federation, row_id: int, claim: str) -> None:
    try:
        await asyncio.wait_for(_apply(fed, row_id, claim), APPLY_TIMEOUT)
    except TryLater as error:
        await _end(fed, row_id, claim, str(error), retry=True)
    except (LineFailed, ResolveError, ActionError, ValueError) as error:
        await _end(fed, row_id, claim, error.args[0] if error.args else str(error))
    except TimeoutError:
        await _end(fed, row_id, claim, N_("the other server took too long"), retry=True)
    except Exception as error:  # one broken line must not stop the others
        log.warning("import line %s failed: %s", row_id, type(error).__name__)
        await _end(fed, row_id, claim, N_("something went wrong here"), retry=True)


async def _apply(fed: Federation, row_id: int, claim: str) -> None:
    async with fed.sessions() as session:
        row = await jobs.still_claimed(session, ImportRow, row_id, claim)
        started = await session.get(ListImport, row.import_id) if row else None
        member = await session.get(Account, started.account_id) if started else None
        if row is None or started is None or member is None:
            return
        if member.is_gone:
            raise LineFailed(N_("your account is closed"))
        await _apply_line(fed, session, member, Kind(started.kind), row)
        jobs.finish(row, "done")
        await session.commit()
    fed.notify()  # deliveries were queued


async def _apply_line(
    fed: Federation, session: AsyncSession, member: Account, kind: Kind, row: ImportRow
) -> None:
    """Do what one line of the file asks."""
    if kind is Kind.DOMAIN_BLOCKS:
        await outbox.block_domain(fed, session, member, row.value)
        return
    if kind is Kind.BOOKMARKS:
        await bookmarks.add(session, member, await _post(fed, session, member, row.value))
        return
    target = await actor_by_handle(fed, session, row.value)
    row.account_id = target.id  # an overwrite keeps it, whatever address its server gives
    if kind is Kind.FOLLOWING:
        if await relationships.find_follow(session, member, target) is None:
            await outbox.follow(fed, session, member, target)
    elif kind is Kind.BLOCKS:
        await outbox.block(fed, session, member, target)
    elif target.id != member.id:
        await mutes.mute(session, member, target, notifications=row.hide_notifications)


async def _post(fed: Federation, session: AsyncSession, member: Account, url: str) -> Post:
    """The post a bookmark names, if the member may read it."""
    from federation import lookup  # with the inbound notes' reading: an imported bookmark

    found = await lookup.by_url(fed, session, url)
    if not isinstance(found, Post) or not await posts.can_see(session, member, found):
        raise LineFailed(Message(N_("%(url)s is not a post you can read"), url=url))
    return found


async def _end(fed: Federation, row_id: int, claim: str, reason: str, retry: bool = False) -> None:
    """Record a failed line: tried again later if `retry` and tries are left, else failed."""
    async with fed.sessions() as session:
        row = await jobs.still_claimed(session, ImportRow, row_id, claim)
        if row is None:
            return
        row.attempts += 1
        wait = RETRIES[row.attempts - 1] if retry and row.attempts <= len(RETRIES) else None
        jobs.retry(row, wait * fed.retry_scale if wait else None, reason, final_state="failed")
        row.reason = reason_text(reason)
        await session.commit()
