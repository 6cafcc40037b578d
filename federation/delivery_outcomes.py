"""What the hosts a worker delivered to answered, written in shared transactions (a group
commit): the first host done is written at once, and those done meanwhile go together in the
next. A transaction per host cost more than the sending (issue 18). A host's task waits until
its outcomes are committed; a crash before that leaves its leases to run out, and the
deliveries are sent again (receivers drop the duplicates by activity id)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, select

from content.orm import utcnow
from federation import delivery, hosts, jobs
from federation.context import Federation
from federation.delivery import Claimed, Delivery
from federation.transport import PostResult


@dataclass
class Sent:
    """One host's claimed deliveries and what each got: an answer or why it failed."""

    host: str
    queue: list[Claimed]
    results: list[PostResult | str]
    confidential: set[int]  # signers whose ended deliveries keep no body


class Outcomes:
    """Hosts' outcomes waiting to be written, and the task writing them."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.waiting: list[tuple[Sent, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    def writing(self) -> list[asyncio.Task[None]]:
        """The task writing outcomes, while there is one."""
        return [self.task] if self.task is not None and not self.task.done() else []

    async def record(self, sent: Sent) -> None:
        """Write `sent`'s outcomes with the others waiting, and return once committed."""
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((sent, done))
        if not self.writing():
            self.task = asyncio.create_task(self._write_waiting())
        await done

    async def _write_waiting(self) -> None:
        while self.waiting:
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

    async def _write(self, sent: list[Sent]) -> None:
        """Record what these hosts answered, in one transaction for them all: each
        delivery this worker still holds ends or waits for its retry, and each host's
        health is updated. Those delivered are closed by one UPDATE (all but what a
        confidential signer sent, whose body goes too); the others are loaded."""
        delivered: dict[str, list[int]] = defaultdict(list)
        others: list[tuple[Sent, Claimed, PostResult | str]] = []
        for one in sent:
            for job, result in zip(one.queue, one.results, strict=True):
                if _delivered(result) and job.signer_id not in one.confidential:
                    delivered[str(job.claim)].append(job.id)
                else:
                    others.append((one, job, result))
        async with self.fed.sessions() as session:
            closed = await jobs.finish_held(
                session, Delivery, delivered, "delivered", attempts=Delivery.attempts + 1
            )
            health = {one.host: True for one in sent if any(job.id in closed for job in one.queue)}
            ids = [job.id for _, job, _ in others]
            rows = {row.id: row for row in await session.scalars(_open_by_ids(ids))} if ids else {}
            for one, job, result in others:
                row = rows.get(job.id)
                if row is None or row.claim != job.claim:
                    continue  # the lease ran out and another worker has it now
                row.attempts += 1
                if isinstance(result, PostResult):
                    self._record(row, result.status, result.retry_after)
                    answered = result.status < 500 and result.status != 429
                else:
                    self._retry(row, result, None)
                    answered = False
                delivery.forget_if_ended(row, one.confidential)
                health[one.host] = health.get(one.host, False) or answered
            await hosts.record(session, health)
            await session.commit()

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


def _delivered(result: PostResult | str) -> bool:
    return isinstance(result, PostResult) and 200 <= result.status < 300


def _open_by_ids(ids: list[int]) -> Select[Delivery]:
    """The deliveries with these ids that are still open."""
    return select(Delivery).where(Delivery.id.in_(ids), Delivery.state.in_(jobs.OPEN_STATES))
