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
verdicts and ask nothing more. Each such query reads the policy's generation too, and when
it moved since the deliveries being sent were looked at (a suspension moves it), they are
looked at again (`withholding.withheld`): what was queued for accounts suspended since goes
no more either."""

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
    """The policy's verdicts for the hosts being sent to (`queues`: each host's claimed
    deliveries), each with when it was read, and which of those deliveries are withheld
    (`withholding`) as of which policy generation."""

    def __init__(self, fed: Federation, queues: Mapping[str, list[Claimed]]) -> None:
        self.fed = fed
        self.queues = queues
        self._verdicts: dict[str, tuple[bool, float]] = {}  # host -> allowed, read when
        self._asking: asyncio.Task[None] | None = None
        self._generation: int | None = None  # None: not all looked at under one generation
        self._withheld: set[int] = set()

    def told(
        self, hosts: Collection[str], allowed: Collection[str], generation: int, withheld: set[int]
    ) -> None:
        """What a claim has just read, under the policy's `generation`: which of `hosts`
        may be sent to (`allowed`) and which of its deliveries are `withheld`."""
        if self.queues.keys() - set(hosts):  # others being sent, looked at before
            self._withheld |= withheld
            if self._generation != generation:
                self._generation = None  # all looked at again at the next query
        else:
            self._generation, self._withheld = generation, set(withheld)
        self._remember(hosts, allowed)

    async def allows(self, job: Claimed) -> bool:
        """Whether `job` may still be sent: its host's verdict and whether it is withheld,
        as read at most RECHECK_SECONDS ago."""
        host = job.host
        while (verdict := self._verdicts.get(host)) is None or self._stale(verdict):
            if self._asking is None or self._asking.done():
                stale = {h for h in self.queues if self._stale(self._verdicts.get(h))}
                self._asking = asyncio.create_task(self._ask(stale | {host}))
            await asyncio.shield(self._asking)
        return verdict[0] and job.id not in self._withheld

    def _remember(self, hosts: Collection[str], allowed: Collection[str]) -> None:
        """The verdicts for `hosts`, read now; those of hosts no longer sent to forgotten."""
        now = time.monotonic()
        kept = {host: v for host, v in self._verdicts.items() if host in self.queues}
        self._verdicts = kept | {host: (host in allowed, now) for host in hosts}

    @staticmethod
    def _stale(verdict: tuple[bool, float] | None) -> bool:
        return verdict is None or time.monotonic() - verdict[1] >= RECHECK_SECONDS

    async def _ask(self, hosts: set[str]) -> None:
        try:
            async with self.fed.sessions() as session:
                allowed = await federating(session, hosts, await self.fed.mode_now(session))
                generation = await verdicts.generation(session)
                if generation != self._generation:  # a suspension since, maybe
                    jobs = [job for queue in list(self.queues.values()) for job in queue]
                    withheld = await withholding.withheld(session, jobs)
                    self._generation, self._withheld = generation, withheld
        except Exception as error:  # asked again in a second; the claims' answers stand
            log.warning("the federation policy could not be asked again: %s", error)
            allowed = {h for h in hosts if (self._verdicts.get(h) or (True, 0.0))[0]}
        self._remember(hosts, allowed)
