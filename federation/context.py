"""What federation code needs at hand: sessions, the transport, and who this node is."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from federation.group_commit import GroupCommit
from federation.keys import KeyCache
from federation.transport import Transport
from moderation import lockdown
from moderation.policy import FederationMode
from moderation.rate_limits import RateLimiter
from moderation.verdicts import Verdicts


@dataclass
class Federation:
    """One node's federation runtime, built by `node` and shared by inbox, outbox and worker."""

    sessions: async_sessionmaker[AsyncSession]
    transport: Transport
    base_url: str
    domain: str
    mode: FederationMode  # as configured; `policy_mode` is what the policy applies
    # Test switches (development only): retry waits scaled down; every inbox handler raising.
    retry_scale: float = 1.0
    handlers_raise: bool = False
    accepts_rfc9421: bool = True  # False only to play a draft-cavage-only peer in tests
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    lockdown: bool = False  # kept as the database says by `moderation.lockdown.follow`
    quarantine_days: int = 0  # as configured; `days_of_quarantine` is what applies now
    keys: KeyCache = field(default_factory=KeyCache)
    limits: RateLimiter = field(default_factory=RateLimiter)
    verdicts: Verdicts = field(default_factory=Verdicts)  # the policy's, by generation
    _heard: dict[str, float] = field(default_factory=dict)
    # Posts whose threads members opened, for the worker to fill in (`want_thread`).
    threads_wanted: dict[str, None] = field(default_factory=dict)
    _threads_asked: dict[str, float] = field(default_factory=dict)
    # The group commit storing accepted inbox items, made on first use (`inbox._writes`).
    inbox_writes: GroupCommit[Any, Any] | None = None

    def policy_mode(self) -> FederationMode:
        """The federation mode in force: the allowlist alone during a lockdown."""
        return FederationMode.ALLOWLIST if self.lockdown else self.mode

    async def mode_now(self, session: AsyncSession) -> FederationMode:
        """`policy_mode` with lockdown read from the database now, not as followed (within a
        second): for what must not reach a server off the allowlist once a lockdown is
        turned in another process (a delivery, a fetch, remote media, an unsigned GET)."""
        self.lockdown = await lockdown.is_on(session)
        return self.policy_mode()

    def days_of_quarantine(self) -> int:
        """Days a server met now is quarantined: only in open federation."""
        return self.quarantine_days if self.policy_mode() == FederationMode.OPEN else 0

    def notify(self) -> None:
        """Tell the worker in this process that new work was committed."""
        self.wakeup.set()

    def first_word_in_a_while(self, host: str, interval: float = 60.0) -> bool:
        """True at most once a minute per host: when to record that a host is alive."""
        now = time.monotonic()
        if self._heard.get(host, 0.0) > now:
            return False
        if len(self._heard) > 10_000:
            self._heard.clear()
        self._heard[host] = now + interval
        return True

    def want_thread(self, uri: str, thread: str | None = None, interval: float = 600.0) -> None:
        """The thread of the remote post `uri` is wanted whole (a member opened it, or a
        reply to a post not kept here arrived): the worker fills it in (`thread_backfill`),
        at most once in `interval` seconds per thread (`thread`: its `context` or the post
        replied to, else the post) and for at most 100 waiting: a courtesy, not a promise,
        so that replies flooding in cannot make this node fetch without end."""
        now, key = time.monotonic(), thread or uri
        if self._threads_asked.get(key, 0.0) > now or len(self.threads_wanted) >= 100:
            return
        if len(self._threads_asked) > 10_000:
            self._threads_asked.clear()
        self._threads_asked[key] = now + interval
        self.threads_wanted[uri] = None
        self.notify()

    @property
    def origin(self) -> str:
        """This node's scheme and canonical host, as an RFC 9421 `@target-uri` starts."""
        return f"{self.base_url.split('://', 1)[0]}://{self.domain}"

    def is_local(self, uri: str) -> bool:
        """Whether a URI belongs to this node."""
        return uri == self.base_url or uri.startswith(self.base_url + "/")
