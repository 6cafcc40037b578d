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
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import as_list, id_of
from activitypub.hostnames import InvalidHost, host_of
from content import posts
from content.accounts import Account, by_ids
from content.local_accounts import prefetch_local
from federation import jobs
from federation.context import Federation
from federation.handlers import handler_for
from federation.handlers.incoming import Incoming, NotYet
from federation.inbox import InboxItem
from federation.transport import Transport

log = logging.getLogger("harbour.worker")
APPLY_TIMEOUT = 60.0  # per inbox item; a fetch on the way is bounded by the transport's deadline
INBOX_RETRIES = [timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=1)]
# What a transport does over the network: a batch applied together does none of it.
NETWORK = frozenset({"get_document", "get_bytes", "get_json", "post_activity", "post_bytes"})
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")
REFUSED = "this node does not federate with the actor's server"
Ended = dict[tuple[str, str, str | None], list[int]]  # item ids by claim, state and outcome


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


class InboxApplier:
    """Applies claimed inbox items for the worker."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed

    async def apply(self, items: list[InboxItem], slots: asyncio.Semaphore) -> None:
        """Apply one host's claimed items in order, together as far as they go."""
        async with slots:
            await self._in_order(items)

    async def _in_order(self, items: list[InboxItem]) -> None:
        """Together; when an item stops the batch, those before it together again, it
        alone, and those after it together."""
        while items:
            stopped = await self.together(items)
            if stopped is None:
                return
            if stopped:
                await self._in_order(items[:stopped])
            await self.alone(items[stopped])
            items = items[stopped + 1 :]

    async def together(self, items: list[InboxItem]) -> int | None:
        """Apply the items in one transaction; None once done, else the position of the item
        that stopped it (it failed, asked for the network, waits for another: `NotYet`; 0
        if this worker no longer holds them all), with nothing of them kept."""
        at = [0]  # the position of the item being applied
        try:
            async with asyncio.timeout(APPLY_TIMEOUT), self.fed.sessions() as session:
                ended = await self._apply_all(session, items, at)
                at[0] = 0
                if not await _close(session, ended):
                    await session.rollback()
                    return 0
                await session.commit()
                return None
        except NeedsNetwork:
            return at[0]
        except Exception as error:  # the item is tried alone next, and fails alone
            log.debug("items applied together stopped: %s", type(error).__name__)
            return at[0]

    async def _apply_all(
        self, session: AsyncSession, items: list[InboxItem], at: list[int]
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
        verdicts: dict[str, bool] = {}
        outcome: str | None
        ended: Ended = defaultdict(list)
        for at[0], (item, body) in enumerate(zip(items, bodies, strict=True)):
            actor = actors.get(item.actor_id)
            if actor is None:
                continue  # the actor is gone (and its items with it)
            refusal = await self._refusal(session, actor, verdicts)
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
        post both delivered by its author and announced by its group), apply it once more,
        when what it would add is there already."""
        try:
            await asyncio.wait_for(self._apply(item.id, str(item.claim)), APPLY_TIMEOUT)
        except IntegrityError:
            await asyncio.wait_for(self._apply(item.id, str(item.claim)), APPLY_TIMEOUT)

    async def _apply(self, item_id: int, claim: str) -> None:
        async with self.fed.sessions() as session:
            found = await _claimed_with_actor(session, item_id, claim)
            if found is None:
                return  # another worker took it over, or the actor is gone
            item, actor = found
            refusal = await self._refusal(session, actor, {})
            if refusal is not None:
                item.outcome = refusal
                jobs.finish(item, "refused")
                await session.commit()
                return
            incoming = Incoming(self.fed, session, actor, json.loads(item.body))
            state, item.outcome = await self._handle(incoming)
            jobs.finish(item, state)
            await session.commit()

    async def _refusal(
        self, session: AsyncSession, actor: Account, verdicts: dict[str, bool]
    ) -> str | None:
        """Why this node refuses the actor's activities now, or None; `verdicts` keeps the
        policy's answer by host for the transaction (its generation read once)."""
        if actor.suspended_at is not None:
            return "the actor is suspended here"
        try:
            host = host_of(actor.uri)
        except InvalidHost:
            return REFUSED
        if host not in verdicts:
            verdicts[host] = await self.fed.verdicts.now(session, host, self.fed.mode)
        return None if verdicts[host] else REFUSED

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


async def _close(session: AsyncSession, ended: Ended) -> bool:
    """End the items applied together, one UPDATE per claim and outcome; False if this
    worker no longer holds every one of them (then none of the batch may be kept)."""
    closed = 0
    for (claim, state, outcome), ids in ended.items():
        held = await jobs.finish_held(session, InboxItem, {claim: ids}, state, outcome=outcome)
        closed += len(held)
    return closed == sum(len(ids) for ids in ended.values())


async def _claimed_with_actor(
    session: AsyncSession, item_id: int, claim: str
) -> tuple[InboxItem, Account] | None:
    """The item and its actor, read in one statement, if this worker's claim on the item
    still holds (`jobs.still_claimed`) and the actor is still here."""
    row = (
        await session.execute(
            select(InboxItem, Account)
            .join(Account, Account.id == InboxItem.actor_id)
            .where(
                InboxItem.id == item_id,
                InboxItem.claim == claim,
                InboxItem.state.in_(jobs.OPEN_STATES),
            )
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
