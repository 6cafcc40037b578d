"""What the hosts a worker delivered to answered, written in shared transactions (a group
commit): the first host done waits up to GATHER_SECONDS for the hosts still being sent to,
and those done meanwhile go together in the next. A transaction per host cost more than the
sending (issue 18). A send whose sender waits to send again (`host_queue`) is written
after MORE_GATHER_SECONDS, with whatever waits then. Each caller waits until its outcomes
are committed; a crash before that leaves their leases to run out, and those deliveries
are sent again (receivers drop the duplicates by activity id)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content.orm import utcnow
from federation import delivery, hosts, jobs
from federation.context import Federation
from federation.delivery import Claimed, Delivery
from federation.transport import PostResult

# A host this worker recorded as answering is not written again for this long while it
# keeps answering: a fan-out's hosts answered post after post, and rewriting their rows
# (failures 0, the time of the last success) was a statement in every group commit.
ANSWERED_KEPT = 60.0
MAX_ANSWERED = 10_000  # hosts remembered at most (the oldest forgotten first)
# While other hosts are still being sent to, a group commit waits this long at most for them
# to join it: a fan-out to 500 servers made ~80 commits of a few hosts each (issue 18).
GATHER_SECONDS = 0.2
# A send whose sender waits for its record to send again (`host_queue`) waits this long for
# others to join its commit: written at once, 2,000 sends to 8 hosts answering in 2 ms made
# ~240 commits; this halves them, and delays each such sender's next send by 5 ms at most.
MORE_GATHER_SECONDS = 0.005
Result = PostResult | str | None
"""What a delivery got: an answer, why it failed, or None if it was not sent (given back:
`liveness.Liveness.ready`)."""


@dataclass
class Sent:
    """Some of one host's claimed deliveries and what each got."""

    host: str
    queue: list[Claimed]
    results: list[Result]
    confidential: set[int]  # signers whose ended deliveries keep no body
    more: bool = False  # the host's sender waits on it to send again: written at once
    lost: bool = False  # once written: a delivered one was no longer this worker's


class Outcomes:
    """Hosts' outcomes waiting to be written, and the task writing them."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.sending = 0  # hosts still being sent to (`begin`, `sent`): outcomes to come
        self.waiting: list[tuple[Sent, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None
        self._all_in: asyncio.Event | None = None  # set once no host is being sent to
        self._answered: dict[str, float] = {}  # host -> when its answer was last written

    def writing(self) -> list[asyncio.Task[None]]:
        """The task writing outcomes, while there is one."""
        return [self.task] if self.task is not None and not self.task.done() else []

    async def record(self, sent: Sent) -> None:
        """Write `sent`'s outcomes with the others waiting, and return once committed."""
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((sent, done))
        if sent.more and self._all_in is not None:
            self._all_in.set()  # a sender waits on it: the commit gathers no longer
        if not self.writing():
            self.task = asyncio.create_task(self._write_waiting())
        await done

    async def _write_waiting(self) -> None:
        while self.waiting:
            await self._gather()
            batch, self.waiting = self.waiting, []
            try:
                await self._write([sent for sent, _ in batch])
            except Exception as error:  # each host's task logs it; their leases run out
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    def begin(self) -> None:
        """A host is being sent to: its outcomes will come (`sent`, then `record`)."""
        self.sending += 1

    def sent(self) -> None:
        """A host's sending ended (its outcomes are recorded next, if it did not fail)."""
        self.sending -= 1
        if self._all_in is not None and not self.sending:
            self._all_in.set()

    async def _gather(self) -> None:
        """Wait up to GATHER_SECONDS for the hosts still being sent to, if any, so that
        their outcomes share this commit; MORE_GATHER_SECONDS when a sender waits on one to
        send again."""
        if any(sent.more for sent, _ in self.waiting):
            await asyncio.sleep(MORE_GATHER_SECONDS)
            return
        if not self.sending:
            return
        self._all_in = asyncio.Event()
        try:
            async with asyncio.timeout(GATHER_SECONDS):
                await self._all_in.wait()
        except TimeoutError:
            pass
        finally:
            self._all_in = None

    async def _write(self, sent: list[Sent]) -> None:
        """Record what these hosts answered, in one transaction for them all: each
        delivery this worker still holds ends or waits for its retry (one UPDATE per claim
        for those delivered, one executemany for all the others: no row is loaded), or is
        given back if it was not sent, and each host's health is updated."""
        delivered: list[Claimed] = []
        unsent: dict[str, list[int]] = {}
        others: list[dict[str, Any]] = []
        forget: list[int] = []  # confidential deliveries ended otherwise than delivered
        health: dict[str, bool] = {}
        confidential: set[int] = set()
        for one in sent:
            confidential |= one.confidential
            for job, result in zip(one.queue, one.results, strict=True):
                if result is None:
                    unsent.setdefault(job.claim, []).append(job.id)
                    continue
                if _delivered(result):
                    delivered.append(job)
                    answered = True
                else:
                    state, again, error = self._outcome(job, result)
                    others.append(
                        {"b_id": job.id, "b_claim": job.claim, "b_state": state}
                        | {"b_due": again, "b_error": error}
                    )
                    if state not in jobs.OPEN_STATES and job.signer_id in one.confidential:
                        forget.append(job.id)
                    answered = isinstance(result, PostResult) and result.status < 500
                    answered = answered and result.status != 429  # type: ignore[union-attr]
                health[one.host] = health.get(one.host, False) or answered
        # A failed send a sender waits on: whether it is still this worker's (as `held` is
        # for those delivered), or a sender sending to a failing host went on after another
        # worker took its claim over, sending all twice (attack8).
        watched = {
            job.id: job.claim
            for one in sent
            if one.more
            for job, result in zip(one.queue, one.results, strict=True)
            if result is not None and not _delivered(result)
        }
        async with self.fed.sessions() as session:
            held = await delivery.end_held(
                session, delivered, confidential, "delivered", **_ATTEMPTED
            )
            if watched:
                held |= await _still_held(session, watched)
            if others:
                await session.execute(_OTHER_OUTCOME, others)
            await jobs.give_back(session, Delivery, unsent)
            if forget:
                body_ids = await session.scalars(
                    select(Delivery.body_id).where(Delivery.id.in_(forget))
                )
                await delivery.forget_bodies(session, forget, set(body_ids))
            now = time.monotonic()
            due = {host: ok for host, ok in health.items() if self._due(host, ok, now)}
            await hosts.record(session, due)
            await session.commit()
            await delivery.drop_forgotten(session)
        self._remember(health, now)
        for one in (one for one in sent if one.more):
            one.lost = any(
                job.id not in held
                for job, result in zip(one.queue, one.results, strict=True)
                if result is not None
            )

    def _outcome(
        self, job: Claimed, result: PostResult | str
    ) -> tuple[str, datetime | None, str | None]:
        """What a delivery that was not delivered becomes: its state, when it is due again
        (None: it ended) and the error kept."""
        if isinstance(result, str):
            return self._retry(job, result, None)
        status = result.status
        if status == 410:
            return "gone", None, None
        if status in (429, 503):
            return self._retry(job, f"answered {status}", delivery.retry_after(result.retry_after))
        if 400 <= status < 500:
            return "failed", None, f"answered {status}"
        return self._retry(job, f"answered {status}", None)

    def _retry(
        self, job: Claimed, error: str, wait: timedelta | None
    ) -> tuple[str, datetime | None, str | None]:
        now = utcnow()
        age = now - job.created_at
        wait = wait or delivery.next_attempt(job.attempts + 1, age=age)
        wait = wait * self.fed.retry_scale if wait is not None else None
        if wait is None or age >= delivery.GIVE_UP_AFTER:
            return "failed", None, error[:2000]
        return "retry", now + wait, error[:2000]

    def _due(self, host: str, answered: bool, now: float) -> bool:
        """Whether `host`'s outcome is written: always a failure; an answer unless this
        worker wrote one for it less than ANSWERED_KEPT ago (and no failure since)."""
        return not answered or self._answered.get(host, -ANSWERED_KEPT) + ANSWERED_KEPT <= now

    def _remember(self, health: dict[str, bool], now: float) -> None:
        """After the commit: the hosts whose answer was written now, and the hosts that
        failed forgotten (their next answer is written, so they are reachable again)."""
        for host, answered in health.items():
            if not answered:
                self._answered.pop(host, None)
            elif self._answered.get(host, -ANSWERED_KEPT) + ANSWERED_KEPT <= now:
                self._answered.pop(host, None)
                self._answered[host] = now
        while len(self._answered) > MAX_ANSWERED:
            del self._answered[next(iter(self._answered))]  # the oldest


async def _still_held(session: AsyncSession, claims: dict[int, str]) -> set[int]:
    """Those of these deliveries (id -> claim) still open under that claim."""
    rows = await session.execute(
        select(_TABLE.c.id, _TABLE.c.claim).where(
            _TABLE.c.id.in_(claims), _TABLE.c.state.in_(jobs.OPEN_STATES)
        )
    )
    return {number for number, claim in rows if claims[number] == claim}


def _delivered(result: PostResult | str) -> bool:
    return isinstance(result, PostResult) and 200 <= result.status < 300


_TABLE = delivery.DELIVERIES
# Made once: the ORM attribute's `Delivery.attempts + 1` was ~2 % of a fan-out's event loop.
_ATTEMPTED = {"attempts": _TABLE.c.attempts + 1}
# A delivery this worker still holds ends in `b_state`, or waits until `b_due` to retry; an
# ended one keeps the time it was last due (`jobs.prune` counts from it) and an error it had.
_OTHER_OUTCOME = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("b_id"),
        _TABLE.c.claim == bindparam("b_claim"),
        or_(*(_TABLE.c.state == state for state in jobs.OPEN_STATES)),  # no IN: executemany
    )
    .values(
        state=bindparam("b_state"),
        attempts=_TABLE.c.attempts + 1,
        next_attempt_at=func.coalesce(
            bindparam("b_due", type_=_TABLE.c.next_attempt_at.type), _TABLE.c.next_attempt_at
        ),
        last_error=func.coalesce(bindparam("b_error", type_=Text()), _TABLE.c.last_error),
        claim=None,
        locked_until=None,
    )
)
