"""The worker: claims due inbox items and deliveries and runs them.

`run_once` is one pass (tests call it until nothing is due); `run_forever` loops, waking at
once when this process commits work and at least every POLL_SECONDS for work committed by
other processes (the CLI, other nodes' workers) or falling due.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account, by_ids
from content.orm import utcnow
from federation import delivery, hosts, jobs
from federation.context import Federation
from federation.delivery import Delivery
from federation.handlers import handler_for
from federation.handlers.incoming import Incoming
from federation.inbox import InboxItem
from federation.keys import signer_of
from federation.transport import PostResult, SigningKey
from moderation.policy import may_federate_with

log = logging.getLogger("harbour.worker")
POLL_SECONDS = 1.0
BATCH = 100
INBOX_BATCH = 4
APPLY_TIMEOUT = 60.0  # per inbox item: a batch (4 x 60 s) ends inside jobs.LEASE (5 min)
SEND_TIMEOUT = 30.0  # per delivery, whatever a slow server does byte by byte
PER_HOST = 4
INBOX_RETRIES = [timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=1)]
KEEP_ENDED = timedelta(days=14)  # ended jobs are kept this long for inspection, then deleted
PRUNE_EVERY = 3600.0


class Worker:
    """Runs the job tables of one node."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self._next_prune = 0.0

    async def run_once(self) -> int:
        """Apply due inbox items, then attempt due deliveries; returns how many jobs ran.
        About once an hour it also forgets jobs that ended more than KEEP_ENDED ago."""
        if time.monotonic() >= self._next_prune:
            await self.prune()
            self._next_prune = time.monotonic() + PRUNE_EVERY
        return await self._apply_inbox() + await self._deliver()

    async def prune(self) -> None:
        """Delete applied, ignored and refused inbox items and finished deliveries that
        ended more than KEEP_ENDED ago, so the job tables do not grow forever."""
        async with self.fed.sessions() as session:
            for model in (InboxItem, Delivery):
                await jobs.prune(session, model, KEEP_ENDED)
            await session.commit()

    async def run_forever(self) -> None:
        """Work until cancelled."""
        while True:
            try:
                done = await self.run_once()
            except Exception:  # a broken pass must not stop the node's federation
                log.exception("worker pass failed")
                done = 0
            if done:
                continue
            self.fed.wakeup.clear()
            try:
                await asyncio.wait_for(self.fed.wakeup.wait(), POLL_SECONDS)
            except TimeoutError:
                pass

    async def _apply_inbox(self) -> int:
        async with self.fed.sessions() as session:
            items = await jobs.claim_due(session, InboxItem, INBOX_BATCH)
        for item in items:
            try:
                await asyncio.wait_for(self._apply(item.id, str(item.claim)), APPLY_TIMEOUT)
            except Exception as error:  # even a broken item must not stop the others
                await self._failed(item, error)
        return len(items)

    async def _apply(self, item_id: int, claim: str) -> None:
        async with self.fed.sessions() as session:
            item = await jobs.still_claimed(session, InboxItem, item_id, claim)
            actor = await session.get(Account, item.actor_id) if item else None
            if item is None or actor is None:
                return  # another worker took it over, or the actor is gone
            refusal = await self._refusal(session, actor)
            if refusal is not None:
                item.outcome = refusal
                jobs.finish(item, "refused")
                await session.commit()
                return
            incoming = Incoming(self.fed, session, actor, json.loads(item.body))
            handler = handler_for(incoming)
            if handler is None:
                item.outcome = f"Harbour does not act on {_kind(incoming)}"
            else:
                if self.fed.handlers_raise:
                    raise RuntimeError("HARBOUR_TEST_HANDLERS_RAISE: every handler raises")
                await handler(incoming)
                item.outcome = incoming.dropped
            jobs.finish(item, "applied" if handler and not incoming.dropped else "ignored")
            await session.commit()

    async def _refusal(self, session: AsyncSession, actor: Account) -> str | None:
        """Why this node refuses the actor's activities now, or None."""
        if actor.suspended_at is not None:
            return "the actor is suspended here"
        if not await may_federate_with(session, hosts.host_of(actor.uri), self.fed.mode):
            return "this node does not federate with the actor's server"
        return None

    async def _failed(self, claimed: InboxItem, error: BaseException) -> None:
        log.warning(
            "applying %s %s failed: %s",
            claimed.activity_type,
            claimed.activity_id,
            type(error).__name__,
        )
        async with self.fed.sessions() as session:
            item = await jobs.still_claimed(session, InboxItem, claimed.id, str(claimed.claim))
            if item is None:
                return
            item.attempts += 1
            retries = INBOX_RETRIES
            wait = retries[item.attempts - 1] if item.attempts <= len(retries) else None
            wait = wait * self.fed.retry_scale if wait is not None else None
            jobs.retry(item, wait, f"{type(error).__name__}: {error}", final_state="errored")
            await session.commit()

    async def _deliver(self) -> int:
        """Send a batch of due deliveries concurrently (at most PER_HOST at once to a host),
        then record every outcome in one transaction."""
        async with self.fed.sessions() as session:
            claimed = await jobs.claim_due(session, Delivery, BATCH)
            if not claimed:
                return 0
            due = await self._allowed(session, claimed)
            if not due:
                await session.commit()
                return len(claimed)
            accounts = await by_ids(session, {job.signer_id for job in due})
            signers = {account_id: signer_of(a) for account_id, a in accounts.items()}
            await session.commit()  # no transaction stays open while we wait on the network
            limits: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_HOST))
            results = await asyncio.gather(
                *(self._post(job, signers[job.signer_id], limits[job.host]) for job in due)
            )
            answered: dict[str, bool] = {}
            ours = await jobs.claimed_ids(
                session, Delivery, [job.id for job in due], str(due[0].claim)
            )
            for job, result in zip(due, results, strict=True):
                if job.id not in ours:
                    continue  # the lease ran out and another worker has it now
                job.attempts += 1
                if isinstance(result, PostResult):
                    self._record(job, result.status, result.retry_after)
                    ok = result.status < 500 and result.status != 429
                else:
                    self._retry(job, result, None)
                    ok = False
                answered[job.host] = answered.get(job.host, False) or ok
            await hosts.record(session, answered)
            await session.commit()
        return len(claimed)

    async def _allowed(self, session: AsyncSession, claimed: Sequence[Delivery]) -> list[Delivery]:
        """The claimed deliveries whose host the policy still allows; the others end as
        refused (a block takes effect on deliveries queued before it)."""
        verdicts = {
            host: await may_federate_with(session, host, self.fed.mode)
            for host in {job.host for job in claimed}
        }
        for job in claimed:
            if not verdicts[job.host]:
                job.last_error = "refused by this node's federation policy"
                jobs.finish(job, "refused")
        return [job for job in claimed if verdicts[job.host]]

    async def _post(
        self, job: Delivery, signer: SigningKey, limit: asyncio.Semaphore
    ) -> PostResult | str:
        async with limit:
            try:
                return await asyncio.wait_for(
                    self.fed.transport.post_activity(job.inbox, job.body.encode("utf-8"), signer),
                    SEND_TIMEOUT,
                )
            except TimeoutError:
                return "timed out"
            except Exception as error:  # anything a remote server makes us raise is its failure
                return f"{type(error).__name__}: {error}"

    def _record(self, job: Delivery, status: int, retry_after: str | None) -> None:
        if 200 <= status < 300:
            jobs.finish(job, "delivered")
        elif status == 410:
            jobs.finish(job, "gone")
        elif status in (429, 503):
            self._retry(job, f"answered {status}", delivery.retry_after(retry_after))
        elif 400 <= status < 500:
            job.last_error = f"answered {status}"
            jobs.finish(job, "failed")
        else:
            self._retry(job, f"answered {status}", None)

    def _retry(self, job: Delivery, error: str, wait: timedelta | None) -> None:
        age = utcnow() - job.created_at
        wait = wait or delivery.next_attempt(job.attempts, age=age)
        wait = wait * self.fed.retry_scale if wait is not None else None
        jobs.retry(job, wait if age < delivery.GIVE_UP_AFTER else None, error, final_state="failed")


def _kind(incoming: Incoming) -> str:
    """An activity's type with its object's, e.g. "Create (Video)"."""
    embedded = incoming.object
    object_type = embedded.get("type") if isinstance(embedded, dict) else None
    kind = str(incoming.activity.get("type"))
    return f"{kind} ({object_type})" if object_type else kind
