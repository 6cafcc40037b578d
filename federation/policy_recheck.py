"""Whether the federation policy still lets a worker send a delivery to its host and inbox,
read again before each send once the host's verdict is RECHECK_SECONDS old, for all the
hosts being sent to at once, and whether it is for accounts suspended meanwhile.

A claim asks the policy for its hosts (`Worker._claim_and_send`), and a block made after
that stopped only the next claim: what was claimed before it kept going to the blocked
server, up to the claim's lease. So each send asks again (`Worker._post`, once it has its
place among the sends in flight: a send checked before it waited for one went out whenever
it got it, 14 s after a block on a busy worker, attack12), from the verdicts the claim read
or, once they are RECHECK_SECONDS old, from one query for every host being sent to whose
verdict is that old. Sends that ask while it runs wait for it. Asked for each host in a
session of its own, a thousand backlogged hosts cost the event loop ~1.2-1.7 CPU-ms each,
every second (attack12). A fan-out's sends all go within the second of their claim's
verdicts and ask nothing more. Each such query reads the policy's generation too, and the
hosts whose deliveries were looked at under another (a suspension moves it) have them
looked at again (`withholding.withheld`): what was queued for accounts suspended since goes
no more either. Each host's queue keeps its own generation and its own withheld
deliveries: one generation for them all, moved on by a query that ran between a claim's
look and its queue's start, passed that queue over for good (attack15), and a delivery
withheld once stayed so when claimed again after the suspension was lifted."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Mapping

from federation import withholding
from federation.context import Federation
from federation.delivery import Claimed
from moderation import verdicts
from moderation.policy import federating

log = logging.getLogger("harbour.worker")
RECHECK_SECONDS = 1.0  # how old a host's verdict may be when a send to it starts


class PolicyRecheck:
    """For the hosts being sent to (`queues`: each host's claimed deliveries), the policy's
    verdict with when it was read, and which deliveries are withheld (`withholding`) under
    which policy generation."""

    def __init__(self, fed: Federation, queues: Mapping[str, list[Claimed]]) -> None:
        self.fed = fed
        self.queues = queues
        self._verdicts: dict[str, tuple[bool, float]] = {}  # host -> allowed, read when
        self._looked: dict[str, int] = {}  # host -> the generation its queue was looked at under
        self._withheld: dict[str, set[int]] = {}  # host -> its deliveries withheld since
        self._asking: asyncio.Task[None] | None = None

    def told(self, hosts: Collection[str], allowed: Collection[str], generation: int) -> None:
        """What a claim read under the policy's `generation`, told as the queues of `hosts`
        start (no await between, or a query meanwhile forgot them): which may be sent to
        (`allowed`); their deliveries withheld then are not in their queues."""
        self._keep(hosts)
        now = time.monotonic()
        for host in hosts:
            self._verdicts[host] = (host in allowed, now)
            self._looked[host], self._withheld[host] = generation, set()

    async def allows(self, job: Claimed) -> bool:
        """Whether `job` may still be sent: its host's verdict and whether it is withheld,
        as read at most RECHECK_SECONDS ago."""
        host, entered = job.host, time.monotonic()
        # A verdict read by a query started since this send asked stands even if stale: a
        # query slower than RECHECK_SECONDS had every send ask again, for as long as the
        # database stayed that slow (a loaded CI run read 6 statements where 3 answer).
        while (verdict := self._verdicts.get(host)) is None or (
            self._stale(verdict) and verdict[1] < entered
        ):
            if self._asking is None or self._asking.done():
                stale = {h for h in self.queues if self._stale(self._verdicts.get(h))}
                self._asking = asyncio.create_task(self._ask(stale | {host}))
            await asyncio.shield(self._asking)
        return verdict[0] and job.id not in self._withheld.get(host, ())

    def _keep(self, hosts: Collection[str]) -> None:
        """Forget what was read for the hosts no longer being sent to (nor in `hosts`)."""
        for kept in (self._verdicts, self._looked, self._withheld):
            for gone in kept.keys() - self.queues.keys() - set(hosts):
                del kept[gone]

    @staticmethod
    def _stale(verdict: tuple[bool, float] | None) -> bool:
        return verdict is None or time.monotonic() - verdict[1] >= RECHECK_SECONDS

    async def _ask(self, hosts: set[str]) -> None:
        # As old as its first read: timed at its end, after a long look at the queues, a
        # block made meanwhile went unseen for 3.6 s (attack16).
        asked = time.monotonic()
        queues = dict(self.queues)  # as they are now: a host may end while this runs
        again: dict[str, list[Claimed]] = {}
        withheld: set[int] = set()
        allowed: set[str] | None = None
        try:
            async with self.fed.sessions() as session:
                allowed = await federating(session, hosts, await self.fed.mode_now(session))
                generation = await verdicts.generation(session)
                again = {h: q for h, q in queues.items() if self._looked.get(h) != generation}
                if again:  # a suspension since, maybe
                    jobs = [job for queue in again.values() for job in queue]
                    withheld = await withholding.withheld(session, jobs)
        except Exception as error:  # asked again in a second; the claims' answers stand
            log.warning("the federation policy could not be asked again: %s", error)
            if allowed is None:  # a block it read stands (a failed look at withholding
                # threw it away, and the send went on the claim's answer: attack19)
                allowed = {h for h in hosts if (self._verdicts.get(h) or (True, 0.0))[0]}
            again = {}
        self._keep(hosts)
        for host, queue in again.items():
            if self.queues.get(host) is queue:  # not ended, nor claimed again, meanwhile
                self._looked[host] = generation
                self._withheld[host] = {job.id for job in queue if job.id in withheld}
        self._verdicts.update({host: (host in allowed, asked) for host in hosts})
