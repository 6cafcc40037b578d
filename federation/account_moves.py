"""Moving accounts between servers, as Mastodon does: a member names her old account as an
alias of her new one (`alsoKnownAs`), then moves the old one away (`movedTo` and a `Move` to
its followers), and followers here follow the new account in place of the old one. The rules
(aliases, the week's cooldown) are `content.moves`'; this module fetches and federates."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import move
from content import accounts, moves, relationships
from content.accounts import Account
from content.interface_text import N_, Message
from content.orm import new_id
from federation import addressing, delivery, outbox
from federation.context import Federation
from federation.outbox import ActionError
from federation.resolve import ResolveError, actor_by_handle, fetch_actor


async def fresh_actor(fed: Federation, session: AsyncSession, uri: str) -> Account:
    """The account `uri` names as its own server has it now: a local row, or the remote
    actor fetched again from its origin (never a copy a third server embedded)."""
    if fed.is_local(uri):
        found = await accounts.get_by_uri(session, uri)
        if found is None or found.is_gone:
            raise ResolveError(Message(N_("there is nothing at %(url)s here"), url=uri))
        return found
    return await fetch_actor(fed, session, uri)


async def add_alias(fed: Federation, session: AsyncSession, account: Account, handle: str) -> None:
    """Name the account at `handle` as another of the member's accounts, and tell her
    followers' servers (her actor's `alsoKnownAs`)."""
    other = await actor_by_handle(fed, session, handle.strip())
    moves.add_alias(account, other)
    await outbox.update_profile(fed, session, account)


async def remove_alias(fed: Federation, session: AsyncSession, account: Account, uri: str) -> None:
    """Stop naming `uri` as another of the member's accounts."""
    moves.remove_alias(account, uri)
    await outbox.update_profile(fed, session, account)


async def move_away(
    fed: Federation, session: AsyncSession, account: Account, handle: str
) -> Account:
    """Move a local account to the one at `handle`, fetched afresh: refused (MoveError)
    unless that account lists this one as an alias and neither moved this week. The actor
    then says `movedTo`, its followers' servers get a `Move`, and followers here move at
    once. Returns the new account."""
    found = await actor_by_handle(fed, session, handle.strip())
    new = await fresh_actor(fed, session, found.uri)
    moves.check_move(account, new)
    await moves.record(session, account, new)
    inboxes = await addressing.for_followers_and(fed, session, account, [])
    await outbox.update_profile(fed, session, account)
    activity = move(f"{account.uri}#moves/{new_id()}", account.uri, new.uri)
    await delivery.enqueue(session, activity, account.id, inboxes)
    await carry_followers(fed, session, account, new)
    return new


async def carry_followers(
    fed: Federation, session: AsyncSession, old: Account, new: Account
) -> int:
    """Every local follower of `old` follows `new` (a real Follow, which `new` accepts or
    approves) and stops following `old`; returns how many moved. One whom `new` refuses
    keeps following `old`."""
    carried = 0
    for follower in await relationships.local_followers(session, old):
        if follower.id == new.id:
            continue
        if await relationships.find_follow(session, follower, new) is None:
            try:
                await outbox.follow(fed, session, follower, new)
            except ActionError:
                continue
        await outbox.unfollow(fed, session, follower, old)
        carried += 1
    return carried
