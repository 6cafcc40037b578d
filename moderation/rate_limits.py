"""Rate limits as token buckets in memory, keyed by account, nickname or host, never by IP.

Each process keeps its own buckets: a node with several processes allows a little more, and
a restart forgets them; both are acceptable for limits meant to slow abuse down."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """What is limited, and by what key."""

    LOGIN = "login"  # per nickname tried, through the web form or the password grant
    REGISTER = "register"  # for the whole node
    POST = "post"  # per account
    INBOX = "inbox"  # per remote host, after its signature is verified


@dataclass(frozen=True)
class Limit:
    """At most `burst` at once, refilled evenly over `seconds`."""

    burst: int
    seconds: float


LIMITS = {
    Action.LOGIN: Limit(burst=10, seconds=600),
    Action.REGISTER: Limit(burst=20, seconds=3600),
    Action.POST: Limit(burst=300, seconds=3 * 3600),  # Mastodon's 300 statuses in 3 hours
    Action.INBOX: Limit(burst=3000, seconds=30),  # 100 a second once the burst is spent
}
MAX_BUCKETS = 100_000


class RateLimited(Exception):
    """Too many attempts; `retry_after` says how many seconds to wait."""

    def __init__(self, action: Action, retry_after: int) -> None:
        super().__init__(f"Too many attempts; please try again in {_in_words(retry_after)}.")
        self.action = action
        self.retry_after = retry_after


@dataclass
class RateLimiter:
    """Buckets of tokens per (action, key)."""

    limits: dict[Action, Limit] = field(default_factory=lambda: dict(LIMITS))
    _buckets: dict[tuple[Action, str], tuple[float, float]] = field(default_factory=dict)

    def take(self, action: Action, key: str = "") -> None:
        """Spend a token, or raise RateLimited if none is left."""
        limit = self.limits[action]
        now = time.monotonic()
        rate = limit.burst / limit.seconds
        tokens, last = self._buckets.get((action, key), (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - last) * rate)
        if tokens < 1:
            raise RateLimited(action, math.ceil((1 - tokens) / rate))
        if len(self._buckets) >= MAX_BUCKETS:
            self._buckets.clear()  # forgetting is safe: it only lets some through early
        self._buckets[(action, key)] = (tokens - 1, now)


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
