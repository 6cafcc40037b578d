"""How much this node is used, as NodeInfo and the instance description publish it: counted at
most once every USAGE_SECONDS in each process.

Counting reads every public post of the node's members (four statements; ~80 ms at 100,000
posts on PostgreSQL, issue 18), and anyone may ask: crawlers of the fediverse poll NodeInfo,
and every client app asks for the instance description when it opens. So each process keeps
the last count for USAGE_SECONDS, and requests that arrive while it is being counted wait for
that one count instead of starting their own. The figures are public and approximate by
nature (Mastodon keeps its own in a cache too); a few minutes late is what a reader of them
can expect."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from activitypub.nodeinfo import Usage
from content import accounts, posts
from content.orm import utcnow

USAGE_SECONDS = 300.0


async def count_usage(session: AsyncSession) -> Usage:
    """The node's live people, how many of them posted publicly in the last 30 and 180
    days, and their public posts."""
    now = utcnow()
    return Usage(
        users_total=await accounts.count_local(session, ActorType.PERSON),
        users_active_month=await posts.count_active_local_authors(session, now - timedelta(30)),
        users_active_halfyear=await posts.count_active_local_authors(session, now - timedelta(180)),
        local_posts=await posts.count_local_posts(session),
    )


class UsageCache:
    """One process's last count, kept `seconds`; one count at a time."""

    def __init__(
        self, seconds: float = USAGE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self._usage: Usage | None = None
        self._until = 0.0
        self._counting = asyncio.Lock()

    async def usage(self, sessions: async_sessionmaker[AsyncSession]) -> Usage:
        """The count, made now if the last one is older than `seconds`."""
        if self._usage is None or self.clock() >= self._until:
            async with self._counting:
                if self._usage is None or self.clock() >= self._until:
                    async with sessions() as session:
                        self._usage = await count_usage(session)
                    self._until = self.clock() + self.seconds
        return self._usage
