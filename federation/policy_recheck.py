"""Whether the federation policy still lets a worker send to the hosts it is sending to,
asked again for all of them at once (`host_queue.RECHECK_SECONDS`).

A queue still going out a second after its claim asks again, so that a block made meanwhile
stops it (`host_queue`). Asked for each such host in a session of its own, a thousand
backlogged hosts cost the event loop ~1.2-1.7 CPU-ms each, every second, all falling due
together (attack12). Here one query answers every host being sent to, at most once a
RECHECK_SECONDS, and a host's ask between two is a look-up."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

from federation.context import Federation
from federation.host_queue import RECHECK_SECONDS
from moderation.policy import federating

log = logging.getLogger("harbour.worker")


class PolicyRecheck:
    """The policy's verdicts for the hosts being sent to (`sending()`), refreshed together."""

    def __init__(self, fed: Federation, sending: Callable[[], Collection[str]]) -> None:
        self.fed = fed
        self.sending = sending
        self._verdicts: dict[str, bool] = {}  # host -> whether it may be sent to
        self._asked_at = -RECHECK_SECONDS  # when `_verdicts` were read
        self._asking: asyncio.Task[None] | None = None

    async def allowed(self, host: str) -> bool:
        """Whether `host` may still be sent to, as read at most RECHECK_SECONDS ago."""
        while host not in self._verdicts or time.monotonic() - self._asked_at >= RECHECK_SECONDS:
            if self._asking is None or self._asking.done():
                self._asking = asyncio.create_task(self._ask({*self.sending(), host}))
            await asyncio.shield(self._asking)
        return self._verdicts[host]

    async def _ask(self, hosts: set[str]) -> None:
        try:
            async with self.fed.sessions() as session:
                allowed = await federating(session, hosts, await self.fed.mode_now(session))
        except Exception as error:  # asked again in a second; the claims' answers stand
            log.warning("the federation policy could not be asked again: %s", error)
            allowed = hosts
        self._verdicts = {host: host in allowed for host in hosts}
        self._asked_at = time.monotonic()
