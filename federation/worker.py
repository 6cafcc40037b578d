"""The worker: claims due inbox items, imported list lines and deliveries and runs them.

`run_once` is one pass (tests call it until nothing is due); `run_forever` loops, waking at
once when this process commits work, on PostgreSQL when any process does (`wakeups`), and at
least every POLL_SECONDS for work falling due or committed where nothing announced it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable

from activitypub import ActorType
from content import foreground
from content.accounts import by_ids
from content.retention import Retention
from federation import (
    delivery,
    host_queue,
    import_rows,
    jobs,
    liveness,
    poll_outbox,
    push,
    trust_refresh,
    upkeep,
    wakeups,
    withholding,
)
from federation.context import Federation
from federation.delivery import Claimed, Delivery
from federation.delivery_outcomes import Outcomes, Result
from federation.inbox import InboxItem
from federation.inbox_apply import CLAIMS, InboxApplier, hosts_free, items_due
from federation.inbox_apply import INBOX_RETRIES as INBOX_RETRIES  # tests read it here
from federation.keys import signer_of
from federation.policy_recheck import PolicyRecheck
from federation.push import Pusher
from federation.signature_styles import SigningKey
from federation.transport import DEADLINE
from moderation import verdicts
from moderation.policy import federating

log = logging.getLogger("harbour.worker")
POLL_SECONDS = 1.0
STOP_SECONDS = 5.0  # how long a stopping worker lets its deliveries in flight finish
BATCH = 1000  # deliveries claimed in one transaction
INBOX_BATCH = 64  # a batch writes each table once: its fixed statements shared by more
# On PostgreSQL a claim takes more: no one write lock is held while a batch applies, and
# a pass's ~20 round trips (claim, reads, one INSERT per table, close, commit, the other
# queues) wait behind the inbox's requests in the one event loop; up to 256 items share
# them when that many wait, and the worker keeps up with the requests (issue 18).
INBOX_BATCH_POSTGRES = 256
INBOX_AT_ONCE = 4  # hosts whose inbox items are applied at once (each host's in order)
SENDS_AT_ONCE = 64  # requests in flight to all hosts together
THREADS_AT_ONCE = 2  # threads members opened, filled in at once
HOSTS_AT_ONCE = 1024  # no new claim while this many hosts are being delivered to
PRUNE_EVERY = 3600.0
POLL_ENDS_EVERY = 30.0  # how late a poll's end may be told
TRUST_LISTS_EVERY = 10.0  # how late a trust list due (or asked for on /admin/trust) is fetched


class Worker:
    """Runs the job tables of one node."""

    def __init__(
        self,
        fed: Federation,
        retention: Retention | None = None,
        *,
        listen_to: str | None = None,
        pusher: Pusher | None = None,
    ) -> None:
        """`listen_to`: the PostgreSQL database URL whose announcements of new work wake
        this worker (`wakeups.listen`); None (SQLite, tests) to rely on `Federation.notify`
        and the poll."""
        self.fed = fed
        self.retention = retention
        self.listen_to = listen_to
        self.pusher = pusher  # Web Push, where the node sends it
        self._pushing: asyncio.Task[None] | None = None
        self._next_late_push = time.monotonic() + push.LATE_EVERY  # `push.queue_late`
        self._next_prune = 0.0
        self._next_poll_ends = 0.0
        self._sending: dict[str, asyncio.Task[None]] = {}  # host -> its deliveries in flight
        self._queues: dict[str, list[Claimed]] = {}  # host -> those deliveries
        self._policy = PolicyRecheck(fed, self._queues)  # asked again as they go out
        self._claim_lock = asyncio.Lock()  # one claim at a time: a host is sent to by one task
        self._claiming: asyncio.Task[None] | None = None  # claims as hosts end (run_forever)
        self._claim_wanted = False
        # After a claim that took fewer than BATCH: the hosts being sent to that it passed
        # over with deliveries due; only their ends claim again. None: claim on every end.
        self._passed_over: set[str] | None = None
        self._claimed_some = False  # the last claim found deliveries: claim without a check
        self._forever = False
        self._sends = asyncio.Semaphore(SENDS_AT_ONCE)
        self._outcomes = Outcomes(fed)  # hosts' outcomes waiting to be written
        self._filling: set[asyncio.Task[None]] = set()  # threads being filled in
        self._importing: asyncio.Task[None] | None = None  # members' imported lines
        self._next_trust_lists = 0.0
        self._trusting: asyncio.Task[None] | None = None  # trust lists being fetched
        self._imported = 0  # lines applied since `run_once` last counted them
        self._stopping = False
        self._inbox_busy = False  # the last pass applied inbox items (more may be due)
        # How long a claimed job stays this worker's: after a crash, that long before another
        # pass takes it (scaled down with the retries by the test-only setting).
        self._lease = jobs.LEASE * fed.retry_scale
        # A claimed delivery starts this long after its claim at the latest, so that it ends
        # and is recorded within the lease: a host's queue outlasted it, another worker took
        # the claims over and sent them again (attack5). What is left is given back.
        lease = self._lease.total_seconds()
        self._send_within = max(lease - DEADLINE - STOP_SECONDS, lease / 2)
        self._applier = InboxApplier(fed, self._lease)
        # On PostgreSQL (`run_forever`): the lock whose loss gives this worker's inbox and
        # delivery claims back, when the claims of dead workers were last looked for, and
        # the owners seen dead (`liveness.release_dead`).
        self._liveness: liveness.Liveness | None = None
        self._next_release = 0.0
        self._deaths: liveness.Deaths = {}

    async def run_once(self) -> int:
        """Apply due inbox items, then attempt due deliveries and wait for them; returns how
        many jobs ran. About once an hour it also forgets jobs that ended more than
        upkeep.KEEP_ENDED ago."""
        ran = await self._pass()
        await asyncio.gather(*self._beside())
        ran, self._imported = ran + self._imported, 0
        return ran

    async def _pass(self) -> int:
        if time.monotonic() >= self._next_prune:
            await self.prune()
            self._next_prune = time.monotonic() + PRUNE_EVERY
        if time.monotonic() >= self._next_poll_ends:
            await poll_outbox.tell_ended(self.fed)
            self._next_poll_ends = time.monotonic() + POLL_ENDS_EVERY
        applied = await self._apply_inbox()
        self._inbox_busy = applied > 0
        ran = applied + await self._deliver()
        self._fill_threads()
        self._import()
        self._refresh_trust_lists()
        self._push()
        return ran

    def _beside(self) -> list[asyncio.Task[None]]:
        """The tasks running beside the passes: deliveries, threads, imports."""
        importing = [self._importing] if self._importing else []
        trusting = [self._trusting] if self._trusting else []
        pushing = [self._pushing] if self._pushing else []
        recording = self._outcomes.writing()
        claiming = [self._claiming] if self._claiming else []
        return [
            *claiming,
            *self._sending.values(),
            *recording,
            *self._filling,
            *importing,
            *trusting,
            *pushing,
        ]

    def _import(self) -> None:
        """Apply members' imported lines beside the passes, batch after batch while any are
        due: an import of follows on slow servers never holds up federation."""
        if self._importing is None or self._importing.done():
            self._importing = asyncio.create_task(self._import_due())

    async def _import_due(self) -> None:
        try:
            while not self._stopping and (
                taken := await import_rows.run_due(self.fed, self._lease)
            ):
                self._imported += taken
        except Exception:  # a failed batch must not stop the worker; its leases run out
            log.exception("applying imported lines failed")

    def _push(self) -> None:
        """Push members' new notifications to their phones, beside the passes (a slow push
        service holds up nothing else)."""
        if self.pusher is not None and (self._pushing is None or self._pushing.done()):
            self._pushing = asyncio.create_task(self._push_due(self.pusher))

    async def _push_due(self, pusher: Pusher) -> None:
        try:
            late = time.monotonic() >= self._next_late_push
            if late:
                self._next_late_push = time.monotonic() + push.LATE_EVERY
            while not self._stopping and await pusher.run_due(self.fed, late=late):
                late = False
        except Exception:  # a failed batch must not stop the worker; its leases run out
            log.exception("pushing notifications failed")

    def _refresh_trust_lists(self) -> None:
        """Every TRUST_LISTS_EVERY seconds, fetch the trust lists that are due, beside the
        passes (a partner's slow server never holds up federation)."""
        if time.monotonic() < self._next_trust_lists:
            return
        if self._trusting is None or self._trusting.done():
            self._next_trust_lists = time.monotonic() + TRUST_LISTS_EVERY * self.fed.retry_scale
            self._trusting = asyncio.create_task(self._trust_lists_due())

    async def _trust_lists_due(self) -> None:
        try:
            await trust_refresh.refresh_due(self.fed)
        except Exception:  # a failed fetch must not stop the worker; it is due again later
            log.exception("fetching trust lists failed")

    def _fill_threads(self) -> None:
        """Start filling in threads members opened, THREADS_AT_ONCE at a time, beside the
        passes (each is bounded by `thread_backfill`'s limits and time)."""
        self._filling = {task for task in self._filling if not task.done()}
        wanted = self.fed.threads_wanted
        while wanted and len(self._filling) < THREADS_AT_ONCE:
            uri = next(iter(wanted))
            del wanted[uri]
            self._filling.add(asyncio.create_task(self._fill_thread(uri)))

    async def _fill_thread(self, uri: str) -> None:
        from federation import thread_backfill  # with the inbound notes' reading: when asked

        try:
            await thread_backfill.fill_in(self.fed, uri)
        except Exception as error:  # a failed filling-in must not stop the worker
            log.warning("filling in a thread failed: %s", type(error).__name__)

    async def prune(self) -> None:
        """The hourly upkeep (`upkeep.prune`)."""
        await upkeep.prune(self.fed, self.retention)

    async def run_forever(self) -> None:
        """Work until `stop` (or cancelled). Deliveries to a host go on in the background
        while the next passes serve other hosts."""
        listening, living = None, None
        self._forever = True
        await self._give_back_dead_claims()
        if self.listen_to is not None:
            listening = asyncio.create_task(wakeups.listen(self.listen_to, self.fed.wakeup))
            self._liveness = liveness.Liveness(self.listen_to)
            living = asyncio.create_task(self._liveness.hold())
            with contextlib.suppress(TimeoutError):  # no claim is made without it
                await asyncio.wait_for(self._liveness.taken.wait(), STOP_SECONDS)
        full_pass_due = 0.0
        try:
            while not self._stopping:
                woken = self.fed.wakeup.is_set()
                self.fed.wakeup.clear()  # before the pass: work committed during it wakes
                try:
                    if woken or self._inbox_busy or time.monotonic() >= full_pass_due:
                        full_pass_due = time.monotonic() + POLL_SECONDS
                        done = await self._pass()
                    else:
                        # Only deliveries were claimed last time and nothing new was
                        # announced: claim more of them alone. A whole pass also claimed
                        # inbox items, import lines and pushes, ~10 statements that found
                        # nothing, three times in each fan-out (issue 18).
                        done = await self._deliver()
                except Exception:  # a broken pass must not stop the node's federation
                    log.exception("worker pass failed")
                    done = 0
                if done or self._stopping:
                    continue
                try:
                    await asyncio.wait_for(self.fed.wakeup.wait(), POLL_SECONDS)
                except TimeoutError:
                    pass
        finally:
            if self._stopping:  # the lock held meanwhile; no send starts (`_post`)
                # Those in flight end within the DEADLINE and each host's are recorded:
                # cut short, they were sent again once the lock was gone (attack5).
                await self._let_finish(time.monotonic() + DEADLINE + STOP_SECONDS)
            running = self._beside()
            for task in running:
                task.cancel()  # their leases run out and another pass takes them again
            await asyncio.gather(*running, return_exceptions=True)  # unwound before the pool goes
            for beside in (listening, living):
                if beside is not None:
                    beside.cancel()
                    await asyncio.gather(beside, return_exceptions=True)

    async def _let_finish(self, deadline: float) -> None:
        """Wait for the tasks beside the passes, those they start meanwhile too, until
        `deadline`: a host's claim under way at the stop starts its senders after (they give
        their claims back), and left running they were cancelled with them held (attack6)."""
        while (running := [t for t in self._beside() if not t.done()]) and (
            left := deadline - time.monotonic()
        ) > 0:
            await asyncio.wait(running, timeout=left)

    async def _give_back_dead_claims(self) -> None:
        """`_release_dead_claims`, tried again every POLL_SECONDS until it succeeds or the
        worker stops: failing at the start (SQLite held by another process past its busy
        timeout), it ended the worker's task for good, logging nothing, and no inbox item or
        delivery was ever run again while the node answered 202 (attack20)."""
        while not self._stopping:
            try:
                await self._release_dead_claims()
                return
            except Exception:
                log.exception("giving back a stopped worker's claims failed; trying again")
                await asyncio.sleep(POLL_SECONDS)

    async def _release_dead_claims(self) -> None:
        """On SQLite this is the node's one worker (one process holds the database), so
        inbox items and deliveries still claimed were claimed by a process that died: give
        them back. An inbox claim holds its host's other items too (`hosts_free`): after a
        kill, all of a host's items waited out the dead claim's lease, 5 minutes, and so did
        a fan-out's claimed deliveries. On PostgreSQL each pass gives back the claims of
        workers whose liveness lock has been gone for its grace (`liveness.release_dead`)."""
        async with self.fed.sessions() as session:
            if session.bind.dialect.name != "sqlite":  # type: ignore[union-attr]
                return
            released = sum([await jobs.release_all(session, job) for job in (InboxItem, Delivery)])
            if released:
                log.info("gave back %d inbox items and deliveries a stopped worker held", released)
            await session.commit()

    def _owner(self) -> str:
        """What this worker's claims start with: its liveness lock's number (`liveness`)."""
        return self._liveness.owner if self._liveness is not None else ""

    def _epoch(self) -> int | None:
        """The liveness epoch claims are made in now; None while no work may start (its
        lock is being taken again): claim nothing."""
        if self._liveness is None:
            return 0
        return self._liveness.epoch if self._liveness.ready(self._liveness.epoch) else None

    async def _ready(self, epoch: int) -> bool:
        """Wait until work claimed in `epoch` may start; False if it never may (given back)."""
        return self._liveness is None or await self._liveness.wait_ready(epoch)

    def stop(self) -> None:
        """Finish the pass under way (and, for a while, the deliveries in flight), then
        return from `run_forever`: a task cancelled in the middle of a transaction left its
        connection's rollback cancelled too."""
        self._stopping = True
        self.fed.notify()

    async def _apply_inbox(self) -> int:
        """Apply a batch of due inbox items: each host's in order, INBOX_AT_ONCE hosts at
        once, so an item waiting on a slow server holds up only its own host's."""
        async with self.fed.sessions() as session:
            if self._liveness is not None and time.monotonic() >= self._next_release:
                self._next_release = time.monotonic() + POLL_SECONDS
                grace, deaths = self._liveness.grace, self._deaths
                dead = liveness.release_dead(session, deaths, InboxItem, Delivery, grace=grace)
                if released := await dead:
                    log.info("gave back %d inbox items and deliveries a dead worker held", released)
            if (epoch := self._epoch()) is None:
                return 0
            if not self._inbox_busy and not await session.scalar(items_due()):
                return 0  # one plain SELECT, where an idle claim was a lock, an UPDATE, a commit
            postgres = session.bind.dialect.name == "postgresql"  # type: ignore[union-attr]
            items = await jobs.claim_due(
                session,
                InboxItem,
                INBOX_BATCH_POSTGRES if postgres and not foreground.busy() else INBOX_BATCH,
                hosts_free(),
                lease=self._lease,
                serial=CLAIMS,
                owner=self._owner(),
            )
            if not items:
                return 0
            actors = await by_ids(session, {item.actor_id for item in items})
        queues: dict[str, list[InboxItem]] = defaultdict(list)
        for item in items:
            actor = actors.get(item.actor_id)
            queues[actor.domain or "" if actor else ""].append(item)  # canonical hosts
        slots = asyncio.Semaphore(INBOX_AT_ONCE)
        ready = functools.partial(self._ready, epoch)
        await asyncio.gather(*(self._applier.apply(q, slots, ready) for q in queues.values()))
        return len(items)

    async def _deliver(self) -> int:
        """Claim due deliveries to hosts not being delivered to already, and send each
        host's in a task of its own (`host_queue.send`: at most PER_HOST at once, each send
        recorded before its sender's next): a slow host delays only itself."""
        async with self._claim_lock:
            return await self._claim_and_send()

    async def _claim_and_send(self) -> int:
        if len(self._sending) >= HOSTS_AT_ONCE or (epoch := self._epoch()) is None:
            return 0
        async with self.fed.sessions() as session:
            sending = list(self._sending)
            if (
                not sending
                and not self._claimed_some
                and not await session.scalar(delivery.any_due())
            ):  # one plain SELECT, where an idle claim was an UPDATE and a commit
                self._passed_over = set() if self._forever else None  # as that claim left it
                return 0
            busy, until = ~delivery.hosts_in(session, sending), time.monotonic() + self._send_within
            claimed = await delivery.claim(
                session, BATCH, busy, lease=self._lease, owner=self._owner()
            )
            self._claimed_some = bool(claimed)
            if len(claimed) >= BATCH or not self._forever:
                self._passed_over = None
            else:
                # All that was due is claimed but for the hosts being sent to: a host's end
                # claims again only if it had some due. In a fan-out to 500 servers 13 of 16
                # claims, made as hosts ended, found nothing (issue 18).
                waiting = await delivery.hosts_due(session, sending)
                self._passed_over = waiting & self._sending.keys()
                if len(waiting) > len(self._passed_over):  # some ended meanwhile
                    self._want_claim()
            if not claimed:
                return 0
            hosts = {job.host for job in claimed}
            mode = await self.fed.mode_now(session)  # a lockdown turned elsewhere holds at once
            allowed = await federating(session, hosts, mode)
            generation = await verdicts.generation(session)  # before what it is the age of
            withheld = await withholding.withheld(session, claimed)
            accounts = await by_ids(session, {job.signer_id for job in claimed})
            signers = {account_id: signer_of(a) for account_id, a in accounts.items()}
            # What the instance actor sends, members told in confidence (`forget_bodies`).
            confidential = {i for i, a in accounts.items() if a.actor_type == ActorType.APPLICATION}
            due: list[Claimed] = []
            refused: list[Claimed] = []
            for job in claimed:
                sendable = job.host in allowed and job.id not in withheld
                (due if sendable else refused).append(job)
            if refused:
                await delivery.refuse(session, refused, confidential)
            await session.commit()  # no transaction stays open while we wait on the network
            await delivery.drop_forgotten(session)
        queues: dict[str, list[Claimed]] = defaultdict(list)
        for job in due:
            queues[job.host].append(job)
        self._policy.told(queues, allowed, generation)  # with no await before they start
        for host, queue in queues.items():
            self._queues[host] = queue
            self._sending[host] = asyncio.create_task(
                self._send_to(host, queue, signers, confidential, (epoch, until))
            )
        return len(claimed)

    async def _send_to(
        self,
        host: str,
        queue: list[Claimed],
        signers: dict[int, SigningKey],
        confidential: set[int],
        claim: tuple[int, float],
    ) -> None:
        def post(job: Claimed) -> Awaitable[Result]:
            return self._post(job, signers[job.signer_id], *claim)

        try:
            await host_queue.send(host, queue, post, self._outcomes, confidential)
        except Exception:  # the leases run out and the deliveries are tried again
            log.exception("delivering to %s failed", host)
        finally:
            del self._sending[host], self._queues[host]
            # A place is free among HOSTS_AT_ONCE and this host's other deliveries may be
            # due: claim more now, not at the next poll (a post to 1,000 servers waited a
            # second for every 32 of them). `run_forever` claims in a task of its own rather
            # than waking a whole pass (inbox items, imports, pushes) for each host ended.
            if not self._forever:
                self.fed.wakeup.set()
            elif not self._stopping and (self._passed_over is None or host in self._passed_over):
                self._want_claim()

    def _want_claim(self) -> None:
        """Claim deliveries again (`run_forever`) once the claim under way, if any, ends."""
        self._claim_wanted = True
        if self._claiming is None or self._claiming.done():
            self._claiming = asyncio.create_task(self._claim_while_wanted())

    async def _claim_while_wanted(self) -> None:
        """Claim deliveries again as long as hosts ended since the last claim began."""
        try:
            while self._claim_wanted and not self._stopping:
                self._claim_wanted = False
                await self._deliver()
        except Exception:  # a failed claim must not stop the worker; the next pass claims
            log.exception("claiming deliveries failed")

    async def _post(self, job: Claimed, signer: SigningKey, epoch: int, until: float) -> Result:
        """Send a delivery, or None if it may not be sent any more (given back)."""
        async with self._sends:
            if self._stopping or not await self._ready(epoch) or time.monotonic() > until:
                return None
            if not await self._policy.allows(job):  # blocked or suspended since its claim
                return None  # given back: the next claim ends it refused
            if time.monotonic() > until:  # the policy's answer came late (attack16)
                return None
            try:  # bounded by the transport's deadline (a second timer here cost each one)
                return await self.fed.transport.post_activity(job.inbox, job.body, signer)
            except Exception as error:  # anything a remote server makes us raise is its failure
                return f"{type(error).__name__}: {error}"
