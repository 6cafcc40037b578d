"""An overwriting import's last step: take out of a member's list what the file leaves out.

It runs in the worker once every line of the file has been applied, so an account a line
named is kept however its server writes its address (a Mastodon server may give
`name@example.com` for an actor at `social.example.com`, which this node writes by the
actor's host): compared by address only, it was unfollowed and followed again, and a
locked account's approval was lost. Unfollows and unblocks tell the servers concerned
(`outbox`); mutes, the member's own domain blocks and bookmarks are hers alone."""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import Select, Update, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content import bookmarks, posts
from content.accounts import Account
from federation import outbox
from federation.context import Federation
from federation.imports import ImportRow, ListImport
from federation.jobs import OPEN_STATES
from moderation import member_domain_blocks, mutes
from moderation.list_export import address, entries, listed_accounts
from moderation.list_files import Kind

log = logging.getLogger("harbour.imports")


async def finish_due(fed: Federation) -> int:
    """Make the removals of every overwrite whose lines have all ended; returns how many
    were made. Each is taken once, by one worker (a conditional update); one that fails is
    logged and not tried again, never retried on every pass."""
    async with fed.sessions() as session:
        due = list(await session.scalars(removals_due()))
    made = 0
    for import_id in due:
        try:
            made += await _finish(fed, import_id)
        except Exception:
            log.exception("an overwriting import's removals failed")
            async with fed.sessions() as session, session.begin():
                await session.execute(_take(import_id))
    if made:
        fed.notify()  # unfollows and unblocks were queued
    return made


def removals_due() -> Select[int]:
    """The overwrites whose lines have all ended and whose removals are not yet made."""
    lines_open = exists().where(
        ImportRow.import_id == ListImport.id, ImportRow.state.in_(OPEN_STATES)
    )
    return select(ListImport.id).where(ListImport.removing, ~lines_open)


def _take(import_id: int) -> Update:
    return (
        update(ListImport)
        .where(ListImport.id == import_id, ListImport.removing)
        .values(removing=False)
    )


async def _finish(fed: Federation, import_id: int) -> int:
    async with fed.sessions() as session, session.begin():
        taken = await session.execute(_take(import_id))
        started = await session.get(ListImport, import_id)
        member = await session.get(Account, started.account_id) if started else None
        if not taken.rowcount or started is None or member is None:  # type: ignore[attr-defined]
            return 0
        lines = (
            await session.execute(
                select(ImportRow.value, ImportRow.account_id).where(
                    ImportRow.import_id == import_id
                )
            )
        ).all()
        await remove_missing(
            fed,
            session,
            member,
            Kind(started.kind),
            [value for value, _ in lines],
            {account_id for _, account_id in lines if account_id is not None},
        )
    return 1


async def remove_missing(
    fed: Federation,
    session: AsyncSession,
    member: Account,
    kind: Kind,
    kept: Collection[str],
    kept_ids: Collection[int] = (),
) -> None:
    """Remove from the member's list of `kind` every entry not in `kept` (the file's values,
    compared without case) and, for a list of accounts, not in `kept_ids` (the accounts its
    lines named)."""
    wanted = {value.lower() for value in kept}
    if kind.names_accounts:
        for account, _ in await listed_accounts(session, member, kind):
            if account.id in kept_ids:
                continue
            if address(account, fed.domain).lower() not in wanted:
                await _remove_account(fed, session, member, kind, account)
        return
    for entry in await entries(session, member, kind, fed.domain):
        if entry.value.lower() in wanted:
            continue
        if kind is Kind.DOMAIN_BLOCKS:
            await member_domain_blocks.remove(session, member, entry.value)
        elif (post := await posts.get_by_uri(session, entry.value)) is not None:
            await bookmarks.remove(session, member, post)


async def _remove_account(
    fed: Federation, session: AsyncSession, member: Account, kind: Kind, target: Account
) -> None:
    if kind is Kind.FOLLOWING:
        await outbox.unfollow(fed, session, member, target)
    elif kind is Kind.BLOCKS:
        await outbox.unblock(fed, session, member, target)
    else:
        await mutes.unmute(session, member, target)
