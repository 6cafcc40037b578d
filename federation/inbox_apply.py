"""Applying claimed inbox items: a host's batch together, one by one only when that fails.

The worker hands over each host's claimed items, in the order they arrived. They are applied
in one transaction (`together`): their actors, the policy's generation, the local
accounts their activities address and which of the posts they name are not kept here are
read once for the batch, each item goes through its
handler as it would alone, and the batch is closed by one UPDATE per outcome, which also
checks that this worker still holds every item. Applying items together never uses the
network: a handler that asks for it (a note given only by id, a key to fetch) stops the
batch, and no transaction (nor SQLite's write lock) stays open while a server answers. When
an item stops the batch (that, a failing handler, `NotYet`, a race), nothing of it is kept:
the items before it are applied together again, it alone (`alone`: in its own transaction,
retried on its own if it fails, as before batches), and those after it together. Statements,
not commits, are what applying costs (issue 18): a mention took 12 on SQLite one at a time,
5 in a batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from activitypub import as_list, id_of
from activitypub.hostnames import InvalidHost, host_of
from content import posts
from content.accounts import Account, by_ids
from content.batch_writes import batched, drain
from content.local_accounts import prefetch_local
from content.orm import utcnow
from content.writer_turns import INLINE_INSERTS
from federation import jobs
from federation.context import Federation
from federation.handlers.incoming import Incoming, NotYet
from federation.inbox import InboxItem
from federation.transport import Transport
from moderation.verdicts import GENERATION, unmoved

log = logging.getLogger("harbour.worker")
APPLY_TIMEOUT = 60.0  # per inbox item; a fetch on the way is bounded by the transport's deadline
INBOX_RETRIES = [timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=1)]
# What a transport does over the network: a batch applied together does none of it.
NETWORK = frozenset({"get_document", "get_bytes", "get_json", "post_activity", "post_bytes"})
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")
REFUSED = "this node does not federate with the actor's server"
Ended = dict[tuple[str, str, str | None], list[int]]  # item ids by claim, state and outcome
Verdicts = dict[str, tuple[bool, int]]  # by host: the policy's answer, and its generation
CLAIMS = 0x6861726226696E62  # the advisory lock inbox claims take, one at a time (`hosts_free`)


Ready = Callable[[], Awaitable[bool]]  # whether work may start (`liveness`), once it may


async def _always() -> bool:
    return True


class NeedsNetwork(BaseException):
    """A handler applying items together asked for the network: the batch stops, and its
    items are applied one at a time (no transaction, and no SQLite write lock, stays open
    while a server answers). A BaseException, so no handler's `except Exception` takes it
    for the network's own failure."""


class _Offline:
    """The transport as items applied together see it: its settings, not its network."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __getattr__(self, name: str) -> Any:
        if name in NETWORK or name == "client":
            raise NeedsNetwork(name)
        return getattr(self._transport, name)


class Overtaken(Exception):  # noqa: N818 (what happened, not an error of the code)
    """Another worker holds some of a host's items this worker was applying: it stops,
    and gives back the rest."""


class InboxApplier:
    """Applies claimed inbox items for the worker, each claim held for `lease` at a time."""

    def __init__(self, fed: Federation, lease: timedelta = jobs.LEASE) -> None:
        self.fed = fed
        self.lease = lease

    async def apply(
        self, items: list[InboxItem], slots: asyncio.Semaphore, ready: Ready = _always
    ) -> None:
        """Apply one host's claimed items in order, together as far as they go, each step
        once `ready` (the worker's liveness lock held); if it never is, give the rest back.
        A queue that fails is logged, and its leases run out: the claim's other hosts go on
        (one failing queue failed the whole pass, its siblings left running)."""
        try:
            await self._in_turn(items, slots, ready)
        except Exception:
            log.exception("applying %d inbox items failed", len(items))

    async def _in_turn(
        self, items: list[InboxItem], slots: asyncio.Semaphore, ready: Ready
    ) -> None:
        """Items that wait for a slot until half their lease is gone are given back:
        renewed meanwhile, every host of a claim was held as long as its slowest one; so are
        the rest of those another worker overtook (attack17, attack18)."""
        try:
            async with asyncio.timeout(self._left(items).total_seconds()):
                await slots.acquire()
        except TimeoutError:
            return await self._give_back(items)
        try:
            await self._in_order(items, ready, items)
        except Overtaken:
            log.info("another worker holds some of %d inbox items; the rest given back", len(items))
            await self._give_back(items)
        finally:
            slots.release()

    def _left(self, items: list[InboxItem]) -> timedelta:
        """How long the items' lease holds before half of it is gone."""
        return items[0].locked_until - utcnow() - self.lease / 2  # type: ignore[operator]

    async def _in_order(self, items: list[InboxItem], ready: Ready, queue: list[InboxItem]) -> None:
        """Together; when an item stops the batch, those before it together again, it
        alone, and those after it together. Each step starts with at least half a lease
        ahead (`_going_on`) and lasts 2 minutes at most (an item alone, tried twice): a lease
        that ran out while items went alone one by one let another worker claim the host's
        later items (the one being applied, locked, skipped) and apply them first."""
        while items := await self._going_on(items, ready, queue):
            stopped = await self.together(items)
            if stopped is None:
                return
            if stopped:
                await self._in_order(items[:stopped], ready, queue)
            # Stopped at once: maybe some were taken back (`liveness.release_dead`). Tried
            # together again one item shorter each time, 64 items were applied 2,080 times.
            if not (rest := await self._going_on(items[stopped:], ready, queue, stopped == 0)):
                return
            await self.alone(rest[0])
            items = rest[1:]

    async def _going_on(
        self, items: list[InboxItem], ready: Ready, queue: list[InboxItem], check: bool = False
    ) -> list[InboxItem]:
        """The items to go on with, none if work may not start (given back). Once half
        their lease is gone the lease of the host's queue is renewed; then, or with `check`,
        they must all still be this worker's (else `Overtaken`): one that went on with those
        it still held applied them while another worker held earlier ones (attack18)."""
        if not items:
            return []
        if not await ready():
            await self._give_back(items)
            return []
        renewing = self._left(items) <= timedelta(0)
        if not (renewing or check):
            return items
        claim, ids = str(items[0].claim), [item.id for item in queue]
        async with self.fed.sessions() as session:
            if renewing:
                held, until = await jobs.renew(session, InboxItem, claim, ids, self.lease)
                for item in queue:
                    if item.id in held:
                        item.locked_until = until
            else:  # a read, not a write of every item left before each one goes alone
                held = await jobs.held(session, InboxItem, claim, ids)
        if any(item.id not in held for item in items):
            raise Overtaken
        return items

    async def _give_back(self, items: list[InboxItem]) -> None:
        """Give back those of the items this worker still holds (`jobs.give_back`)."""
        async with self.fed.sessions() as session:
            await jobs.give_back(session, InboxItem, {str(items[0].claim): [i.id for i in items]})
            await session.commit()

    async def together(self, items: list[InboxItem]) -> int | None:
        """Apply the items in one transaction; None once done, else the position of the item
        that stopped it (it failed, asked for the network, waits for another: `NotYet`; 0
        if this worker no longer holds them all, or the policy changed meanwhile: a block
        made while they were applied), with nothing of them kept."""
        at = [0]  # the position of the item being applied
        verdicts: Verdicts = {}
        inline = INLINE_INSERTS.set(True)  # on SQLite, its INSERTs without a thread hand-off
        try:
            async with (
                asyncio.timeout(APPLY_TIMEOUT),
                self.fed.limits.spent_with() as spent,  # given back unless committed
                self.fed.sessions() as session,
            ):
                batched(session)  # one INSERT per table for the batch's rows, at its end
                ended = await self._apply_all(session, items, at, verdicts)
                at[0] = len(items) // 2  # a write failing there is no one item's: halve
                await drain(session)
                at[0] = 0
                if not await _close(session, ended, verdicts):
                    await session.rollback()
                    return 0
                await session.commit()
                spent.clear()
                return None
        except NeedsNetwork:
            return at[0]
        except Exception as error:  # the item is tried alone next, and fails alone
            log.debug("items applied together stopped: %s", type(error).__name__)
            return at[0]
        finally:
            INLINE_INSERTS.reset(inline)

    async def _apply_all(
        self, session: AsyncSession, items: list[InboxItem], at: list[int], verdicts: Verdicts
    ) -> Ended:
        """Apply each item in `session`, counting in `at` the position of the one being
        applied; the ids of those applied by claim, state and outcome."""
        actors = await by_ids(session, {item.actor_id for item in items})
        bodies = [_read(item.body) for item in items]
        await prefetch_local(session, {u for body in bodies for u in self._local_uris(body)})
        await posts.prefetch_absent(session, {u for body in bodies for u in _post_uris(body)})
        offline = dataclasses.replace(
            self.fed, transport=cast(Transport, _Offline(self.fed.transport))
        )
        outcome: str | None
        ended: Ended = defaultdict(list)
        for at[0], (item, body) in enumerate(zip(items, bodies, strict=True)):
            actor = actors.get(item.actor_id)
            if actor is None:
                continue  # the actor is gone (and its items with it)
            # The generation held from the batch's first write on: see `_refusal`.
            refusal = await self._refusal(session, actor, body, verdicts, hold=True)
            if refusal is not None:
                state, outcome = "refused", refusal
            elif body is None:
                raise ValueError("the item's body is not a JSON object")  # it fails alone
            else:
                state, outcome = await self._handle(Incoming(offline, session, actor, body))
            ended[(str(item.claim), state, outcome)].append(item.id)
        return ended

    def _local_uris(self, activity: dict[str, Any] | None) -> set[str]:
        """The local actors an activity and its embedded object address or mention, to read
        in one statement for the batch."""
        found: set[str] = set()
        if activity is None:
            return found
        for document in (activity, activity.get("object")):
            if not isinstance(document, dict):
                continue
            found.update(id_of(v) or "" for k in ADDRESSING for v in as_list(document.get(k)))
            found.update(
                str(tag.get("href"))
                for tag in as_list(document.get("tag"))
                if isinstance(tag, dict) and tag.get("type") == "Mention"
            )
        return {uri for uri in found if self.fed.is_local(uri)}

    async def _handle(self, incoming: Incoming) -> tuple[str, str | None]:
        """Run the activity's handler; its final state and outcome."""
        # The table and every handler (~0.3 MiB) load with the first item applied.
        from federation.handlers.dispatch import handler_for

        handler = handler_for(incoming)
        if handler is None:
            return "ignored", f"Harbour does not act on {_kind(incoming)}"
        if self.fed.handlers_raise:
            raise RuntimeError("HARBOUR_TEST_HANDLERS_RAISE: every handler raises")
        await handler(incoming)
        return ("ignored" if incoming.dropped else "applied"), incoming.dropped

    async def alone(self, item: InboxItem) -> None:
        """Apply one item in its own transaction; one that fails is tried again later."""
        try:
            await self._apply_once_more_on_a_race(item)
        except NotYet as waiting:
            await self._retry_later(item, str(waiting), final_state="ignored")
        except Exception as error:  # even a broken item must not stop the others
            log.warning(
                "applying %s %s failed: %s",
                item.activity_type,
                item.activity_id,
                type(error).__name__,
            )
            await self._retry_later(item, f"{type(error).__name__}: {error}")

    async def _apply_once_more_on_a_race(self, item: InboxItem) -> None:
        """Apply the item; if another host's item stored the same row at the same moment (a
        post both delivered by its author and announced by its group), or the policy changed
        while it was applied (a block made meanwhile, whose purge it must not outlive), apply
        it once more, under the policy as it is then."""
        try:
            if await asyncio.wait_for(self._apply(item.id, str(item.claim)), APPLY_TIMEOUT):
                return
        except IntegrityError:
            pass
        if not await asyncio.wait_for(self._apply(item.id, str(item.claim)), APPLY_TIMEOUT):
            raise RuntimeError("the federation policy changed while the item was applied")

    async def _apply(self, item_id: int, claim: str) -> bool:
        """Apply the item in a transaction of its own; False, with nothing kept, if the
        policy changed meanwhile (a fetch on the way can take seconds)."""
        verdicts: Verdicts = {}
        async with self.fed.limits.spent_with() as spent, self.fed.sessions() as session:
            found = await _claimed_with_actor(session, item_id, claim)
            if found is None:
                return True  # another worker took it over, or the actor is gone
            item, actor = found
            refusal = await self._refusal(session, actor, _read(item.body), verdicts)
            if refusal is not None:
                item.outcome = refusal
                jobs.finish(item, "refused")
            else:
                incoming = Incoming(self.fed, session, actor, json.loads(item.body))
                state, item.outcome = await self._handle(incoming)
                jobs.finish(item, state)
            unchanged = _unmoved(verdicts, wait=False)
            try:
                if unchanged and not await session.scalar(select(and_(*unchanged))):
                    await session.rollback()
                    return False
            except OperationalError as error:
                if not _lock_not_available(error):
                    raise
                # A policy change is being made: waiting for it here, with this item's rows
                # written, could deadlock with its purge. Wait with nothing held instead.
                await session.rollback()
                await session.execute(GENERATION.with_for_update(read=True))
                await session.rollback()
                return False
            await session.commit()
            spent.clear()
            return True

    async def _refusal(
        self,
        session: AsyncSession,
        actor: Account,
        activity: object,
        verdicts: Verdicts,
        *,
        hold: bool = False,
    ) -> str | None:
        """Why this node refuses the actor's `activity` now, or None. A suspended account's
        Deletes are taken (of its own objects, or of itself: the handlers check origin as
        always): a Delete only removes data, and a post its author deleted must go, even
        while the account is suspended here (its data is kept for a lifted suspension);
        anything else of it is refused. `verdicts` keeps the
        policy's answer by host for the transaction, with the generation it holds for. With
        `hold` (a batch, which reads it before any handler writes and uses no network) the
        generation's row stays held FOR SHARE on PostgreSQL until the commit: a suspension
        then waits for the batch and purges after it, and a batch started during one waits
        for it, in the order the suspension takes (its purge deadlocked with a batch that
        changed a follow and then waited for the generation at its close)."""
        deleting = isinstance(activity, dict) and activity.get("type") == "Delete"
        if actor.suspended_at is not None and not deleting:
            return "the actor is suspended here"
        try:
            host = host_of(actor.uri)
        except InvalidHost:
            return REFUSED
        if host not in verdicts:
            verdicts[host] = await self.fed.verdicts.now(session, host, self.fed.mode, hold=hold)
        return None if verdicts[host][0] else REFUSED

    async def _retry_later(
        self, claimed: InboxItem, error: str, final_state: str = "errored"
    ) -> None:
        """Try the item again after the next of INBOX_RETRIES, or end it in `final_state`."""
        async with self.fed.sessions() as session:
            item = await jobs.still_claimed(session, InboxItem, claimed.id, str(claimed.claim))
            if item is None:
                return
            item.attempts += 1
            retries = INBOX_RETRIES
            wait = retries[item.attempts - 1] if item.attempts <= len(retries) else None
            wait = wait * self.fed.retry_scale if wait is not None else None
            jobs.retry(item, wait, error, final_state=final_state)
            await session.commit()


@cache  # built on the first claim, not at import: no mapper is configured before start-up
def hosts_free() -> ColumnElement[bool]:
    """A condition for a claim of inbox items: no other claim holds an item of the same
    host, so a host's items are applied by one worker at a time, in order (with several
    workers on PostgreSQL a host's Delete was applied by one before its Create by another).
    Claims made with `serial=CLAIMS` see each other's: one at a time, committed. Built
    once (each run reads the clock): its two aliases were made again on every idle pass."""
    held, busy = aliased(InboxItem), aliased(Account)
    busy_hosts = (
        select(busy.domain)
        .join(held, held.actor_id == busy.id)
        .where(
            held.claim.is_not(None),
            held.state.in_(jobs.OPEN_STATES),
            held.locked_until > jobs.run_time(InboxItem),
        )
    )
    # Uncorrelated, so read once per claim (a correlated EXISTS took 440 ms on PostgreSQL
    # with 2,000 items of a busy host waiting).
    return InboxItem.actor_id.not_in(select(Account.id).where(Account.domain.in_(busy_hosts)))


@cache
def items_due() -> Select[bool]:
    """Whether any inbox item is due, in one SELECT (whether its host is free aside)."""
    due = select(InboxItem.id).where(*jobs.due_now(InboxItem, jobs.run_time(InboxItem)))
    return select(due.exists())


def _unmoved(verdicts: Verdicts, *, wait: bool = True) -> list[ColumnElement[bool]]:
    """Conditions that the policy is still at each generation the verdicts were read at."""
    return [unmoved(g, wait=wait) for g in {g for _, g in verdicts.values()}]


def _lock_not_available(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "55P03"


async def _close(session: AsyncSession, ended: Ended, verdicts: Verdicts) -> bool:
    """End the items applied together, one UPDATE per claim and outcome, which also checks
    that the policy has not moved since the verdicts were read (a block made meanwhile: the
    items are applied again under it, and none is kept after its purge); False if that
    failed or this worker no longer holds every one of them (then none may be kept)."""
    unchanged = _unmoved(verdicts)
    closed = 0
    for (claim, state, outcome), ids in ended.items():
        held = await jobs.finish_held(
            session, InboxItem, {claim: ids}, state, *unchanged, outcome=outcome
        )
        closed += len(held)
    return closed == sum(len(ids) for ids in ended.values())


async def _claimed_with_actor(
    session: AsyncSession, item_id: int, claim: str
) -> tuple[InboxItem, Account] | None:
    """The item and its actor, read in one statement, if this worker's claim on the item
    still holds (`jobs.still_claimed`) and the actor is still here. The item's row stays
    held (PostgreSQL) until the item's commit: its close is by id alone, so a claim given
    back meanwhile (`liveness.release_dead`) and taken by another worker would have had
    the item applied twice; the release now waits, and finds it ended."""
    row = (
        await session.execute(
            select(InboxItem, Account)
            .join(Account, Account.id == InboxItem.actor_id)
            .where(
                InboxItem.id == item_id,
                InboxItem.claim == claim,
                InboxItem.state.in_(jobs.OPEN_STATES),
            )
            .with_for_update(of=InboxItem)
        )
    ).first()
    return None if row is None else (row[0], row[1])


def _post_uris(activity: dict[str, Any] | None) -> set[str]:
    """The posts an activity may look up: its object and the post that object answers."""
    if activity is None:
        return set()
    embedded = activity.get("object")
    found = {
        id_of(embedded),
        id_of(embedded.get("inReplyTo")) if isinstance(embedded, dict) else None,
    }
    return {uri for uri in found if isinstance(uri, str)}


def _read(body: str) -> dict[str, Any] | None:
    """An item's activity; None if its body is no JSON object (it then fails alone)."""
    try:
        activity = json.loads(body)
    except ValueError:
        return None
    return activity if isinstance(activity, dict) else None


def _kind(incoming: Incoming) -> str:
    """An activity's type with its object's, e.g. "Create (Video)"."""
    embedded = incoming.object
    object_type = embedded.get("type") if isinstance(embedded, dict) else None
    kind = str(incoming.activity.get("type"))
    return f"{kind} ({object_type})" if object_type else kind
