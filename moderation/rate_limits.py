"""Rate limits as token buckets, keyed by account, nickname or host, never by IP address.

The limits that protect members (SHARED: sign-ins, failed sign-ins, joining, posting) are
counted in the database on PostgreSQL (`shared_limits`), so a node run as several processes
allows what one process would. The traffic-shaping limits on the hot path (an inbox POST,
signing-key fetches) stay in each process's memory, as do all limits on SQLite, which has
one process: several processes allow a little more of those, and a restart forgets them;
both are acceptable for limits meant to slow a flood down."""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation import shared_limits


class Action(StrEnum):
    """What is limited, and by what key."""

    LOGIN = "login"  # per nickname tried, through the web form or the password grant
    FAILED_LOGIN = "failed-login"  # for the whole node: wrong passwords and codes, any nickname
    REGISTER = "register"  # for the whole node
    POST = "post"  # per account
    INBOX = "inbox"  # per registrable domain (`domain_names.site_of`), signature verified
    KEY_HOST = "key-host"  # fetches of unknown signing keys, per registrable domain
    KEY = "key"  # fetches of one keyId: a failure is not retried for a minute
    CORRECTION = "correction"  # per member, or for all signed-out visitors together
    CORRECTION_HOST = "correction-host"  # corrections received, per registrable domain
    UPLOAD = "upload"  # media uploads, per account: each holds an image worker


@dataclass(frozen=True)
class Limit:
    """At most `burst` at once, refilled evenly over `seconds`."""

    burst: int
    seconds: float


LIMITS = {
    Action.LOGIN: Limit(burst=10, seconds=600),
    Action.FAILED_LOGIN: Limit(burst=30, seconds=60),  # a storm of guesses, not a busy morning
    Action.REGISTER: Limit(burst=20, seconds=3600),
    Action.POST: Limit(burst=300, seconds=3 * 3600),  # Mastodon's 300 statuses in 3 hours
    Action.INBOX: Limit(burst=3000, seconds=30),  # 100 a second once the burst is spent
    Action.KEY_HOST: Limit(burst=60, seconds=60),  # a burst of new actors, then one a second
    Action.KEY: Limit(burst=1, seconds=60),
    Action.CORRECTION: Limit(burst=10, seconds=3600),
    Action.UPLOAD: Limit(burst=30, seconds=1800),  # Mastodon's 30 uploads in 30 minutes
    Action.CORRECTION_HOST: Limit(burst=60, seconds=3600),
}
SHARED = frozenset(
    {Action.LOGIN, Action.FAILED_LOGIN, Action.REGISTER, Action.POST, Action.CORRECTION}
)
MAX_BUCKETS = 100_000
# The tokens taken in the transaction under way (`spent_with`), given back unless it commits.
_SPENT: ContextVar[list[tuple[Action, str]] | None] = ContextVar("spent", default=None)
SHARED_AT_ONCE = 4  # of the pool's 15 connections


class RateLimited(Exception):
    """Too many attempts; `retry_after` says how many seconds to wait."""

    def __init__(self, action: Action, retry_after: int) -> None:
        super().__init__(f"Too many attempts; please try again in {_in_words(retry_after)}.")
        self.action = action
        self.retry_after = retry_after


Bucket = tuple[float, float]  # tokens left, and when they were counted (monotonic)


@dataclass
class RateLimiter:
    """Buckets of tokens per (action, key): the SHARED actions' in the database when
    `shared` (PostgreSQL's sessions) is given, the others in memory. In memory each action
    keeps at most `size` buckets: a new key evicts that action's bucket used least recently,
    so a flood of new keys cannot reset a busy bucket, nor can a flood of one action's keys
    (say, junk keyIds) push out another's (a nickname's sign-in attempts)."""

    limits: dict[Action, Limit] = field(default_factory=lambda: dict(LIMITS))
    size: int = MAX_BUCKETS
    shared: async_sessionmaker[AsyncSession] | None = None
    secret: str = field(default="", repr=False)  # the node's: shared keys are stored as HMACs
    _buckets: dict[Action, OrderedDict[str, Bucket]] = field(default_factory=dict)
    # Shared buckets spent at once in this process: each holds a pooled connection, and a
    # flood of sign-ins queued on one bucket's row must leave the pool to everyone else.
    _shared_turns: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(SHARED_AT_ONCE)
    )

    async def take(self, action: Action, key: str = "") -> None:
        """Spend a token, or raise RateLimited if none is left."""
        limit = self.limits[action]
        if self.shared is not None and action in SHARED:
            stored = shared_limits.stored_key(key, self.secret)
            async with self._shared_turns:
                wait = await shared_limits.take(
                    self.shared, action, stored, limit.burst, limit.seconds
                )
            if wait > 0:
                raise RateLimited(action, math.ceil(wait))
        else:
            self._take_here(action, key, limit)
        if (spent := _SPENT.get()) is not None:
            spent.append((action, key))

    @asynccontextmanager
    async def spent_with(self) -> AsyncIterator[list[tuple[Action, str]]]:
        """Count the tokens taken inside as the transaction's: the caller clears the list
        it is given once that commits, and whatever is left is given back on the way out
        (an inbox batch rolled back and applied again must not spend a sender's budget
        twice, nor an item that failed and is retried later)."""
        spent: list[tuple[Action, str]] = []
        token = _SPENT.set(spent)
        try:
            yield spent
        finally:
            _SPENT.reset(token)
            for action, key in spent:
                await self.give_back(action, key)

    def _take_here(self, action: Action, key: str, limit: Limit) -> None:
        buckets = self._buckets.setdefault(action, OrderedDict())
        now = time.monotonic()
        rate = limit.burst / limit.seconds
        tokens, last = buckets.get(key, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - last) * rate)
        if tokens < 1:
            buckets.move_to_end(key)
            raise RateLimited(action, math.ceil((1 - tokens) / rate))
        self._store(buckets, key, (tokens - 1, now))

    async def give_back(self, action: Action, key: str = "") -> None:
        """Return a token taken for an attempt that turned out not to count (a right password)."""
        if self.shared is not None and action in SHARED:
            stored = shared_limits.stored_key(key, self.secret)
            async with self._shared_turns:
                await shared_limits.give_back(
                    self.shared, action, stored, self.limits[action].burst
                )
            return
        buckets = self._buckets.get(action, OrderedDict())
        if (found := buckets.get(key)) is not None:
            burst = float(self.limits[action].burst)
            self._store(buckets, key, (min(burst, found[0] + 1), found[1]))

    async def take_sign_in(self, nickname: str) -> None:
        """Spend a sign-in attempt: one of the node's failed sign-ins (given back by
        `signed_in`), then one of the nickname's attempts."""
        await self.take(Action.FAILED_LOGIN)
        try:
            await self.take(Action.LOGIN, nickname.strip().lower())
        except RateLimited:
            await self.give_back(Action.FAILED_LOGIN)
            raise

    async def signed_in(self) -> None:
        """The attempt was right: it does not count against the node's failed sign-ins."""
        await self.give_back(Action.FAILED_LOGIN)

    async def forget_full(self) -> None:
        """Delete the shared buckets that have refilled (the worker's hourly prune), so the
        table holds only the buckets being spent."""
        if self.shared is not None:
            for action in SHARED & self.limits.keys():
                limit = self.limits[action]
                await shared_limits.forget_full(self.shared, action, limit.burst, limit.seconds)

    def _store(self, buckets: OrderedDict[str, Bucket], key: str, bucket: Bucket) -> None:
        buckets[key] = bucket
        buckets.move_to_end(key)
        while len(buckets) > self.size:
            buckets.popitem(last=False)


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
