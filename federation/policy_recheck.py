"""Whether the federation policy still lets a worker send a delivery to its host and inbox,
read again before each send once the host's verdict is RECHECK_SECONDS old, for all the
hosts being sent to at once, with the accounts suspended meanwhile (`withholding`).

A claim asks the policy for its hosts (`Worker._claim_and_send`), and a block made after
that stopped only the next claim: what was claimed before it kept going to the blocked
server, up to the claim's lease. So each send asks again (`Worker._post`, once it has its
place among the sends in flight: a send checked before it waited for one went out whenever
it got it, 14 s after a block on a busy worker, attack12), from the verdicts the claim read
or, once they are RECHECK_SECONDS old, from one query for every host being sent to whose
verdict is that old. Sends that ask while it runs wait for it. Asked for each host in a
session of its own, a thousand backlogged hosts cost the event loop ~1.2-1.7 CPU-ms each,
every second (attack12). A fan-out's sends all go within the second of their claim's
verdicts and ask nothing more. Each answer reads the suspended accounts too (again only if
the policy's generation moved), as fresh as the freshest verdict, so what was queued for
accounts suspended since goes no more either (`withholding`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

from federation.context import Federation
from federation.delivery import Claimed
from federation.withholding import NOT_READ, Suspended, suspended
from moderation.policy import federating

log = logging.getLogger("harbour.worker")
RECHECK_SECONDS = 1.0  # how old a host's verdict may be when a send to it starts


class PolicyRecheck:
    """The policy's verdicts for the hosts being sent to (`sending()`), each with when it
    was read, and the suspended accounts as last read."""

    def __init__(self, fed: Federation, sending: Callable[[], Collection[str]]) -> None:
        self.fed = fed
        self.sending = sending
        self._verdicts: dict[str, tuple[bool, float]] = {}  # host -> allowed, read when
        self._asking: asyncio.Task[None] | None = None
        self.suspended: Suspended = NOT_READ

    def told(self, hosts: Collection[str], allowed: Collection[str], accounts: Suspended) -> None:
        """What a claim has just read of the policy for `hosts` (those `allowed` may be sent
        to) and of the suspended `accounts`; the verdicts of hosts no longer being sent to
        are forgotten."""
        now, sending = time.monotonic(), set(self.sending())
        kept = {host: verdict for host, verdict in self._verdicts.items() if host in sending}
        self._verdicts = kept | {host: (host in allowed, now) for host in hosts}
        self.suspended = accounts

    async def allows(self, job: Claimed) -> bool:
        """Whether `job` may still be sent, its host's verdict and the suspended accounts as
        read at most RECHECK_SECONDS ago."""
        host = job.host
        while (verdict := self._verdicts.get(host)) is None or self._stale(verdict):
            if self._asking is None or self._asking.done():
                stale = {h for h in self.sending() if self._stale(self._verdicts.get(h))}
                self._asking = asyncio.create_task(self._ask(stale | {host}))
            await asyncio.shield(self._asking)
        return verdict[0] and not self.suspended.withholds(job.inbox, job.body)

    @staticmethod
    def _stale(verdict: tuple[bool, float] | None) -> bool:
        return verdict is None or time.monotonic() - verdict[1] >= RECHECK_SECONDS

    async def _ask(self, hosts: set[str]) -> None:
        try:
            async with self.fed.sessions() as session:
                allowed = await federating(session, hosts, await self.fed.mode_now(session))
                accounts = await suspended(session, self.suspended)
        except Exception as error:  # asked again in a second; the claims' answers stand
            log.warning("the federation policy could not be asked again: %s", error)
            allowed = {h for h in hosts if (self._verdicts.get(h) or (True, 0.0))[0]}
            accounts = self.suspended
        self.told(hosts, allowed, accounts)
