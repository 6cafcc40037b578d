"""The streams open on this process, and the events they are told: one dispatcher reads
events as they are committed (on PostgreSQL from every process of the node, through LISTEN;
on SQLite from this process) and, member by member, hands each of her connections what
`render` says it may see. A connection that cannot keep up is closed, never buffered without
end; a member's connections close at once when her account is suspended or deleted, and within
seconds when their token is revoked."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import stream_events
from content.accounts import Account
from content.kept_connection import keep_connected
from content.oauth import AccessToken
from content.stream_events import StreamEvent
from content.token_cache import TokenCache

if TYPE_CHECKING:
    from psycopg import AsyncConnection

    from node.streaming.render import Message, Stream

log = logging.getLogger("harbour.streaming")
QUEUE = 200  # messages waiting for one connection before it is closed as too slow
EVENTS = 10_000  # events waiting for the dispatcher before new ones are dropped
TOKEN_CHECK_SECONDS = 5.0


def _not_among(tokens: set[int], connection: Connection) -> bool:
    return connection.token_id not in tokens


class Connection:
    """One open stream: whose it is, under which token, its streams, what waits to go out."""

    def __init__(
        self, viewer_id: int, token_id: int, streams: set[Stream], *, notifications: bool = True
    ) -> None:
        self.viewer_id = viewer_id
        self.token_id = token_id
        self.streams = streams
        self.notifications = notifications  # its token may read notifications
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue(QUEUE)
        self.open = True

    def deliver(self, message: Message) -> None:
        """Queue a message; a connection too far behind is closed instead."""
        if not self.open:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.close()

    def close(self) -> None:
        """End the connection: its writer stops at the next read of the queue."""
        if not self.open:
            return
        self.open = False
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class Hub:
    """This process's open streams and the tasks that feed them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        base_url: str,
        listen_to: str | None,
        tokens: TokenCache | None = None,
    ) -> None:
        """`listen_to`: the PostgreSQL URL whose NOTIFYs bring every process's events; None
        on SQLite, where they come from this process's commits. `tokens`: the process's
        remembered grants, told every revocation heard, and trusted only while listening."""
        self.sessions = sessions
        self.base_url = base_url
        self.listen_to = listen_to
        self.tokens = tokens or TokenCache()
        self.connections: set[Connection] = set()
        self.events: asyncio.Queue[StreamEvent] = asyncio.Queue(EVENTS)
        self._tasks: list[asyncio.Task[None]] = []

    def offer(self, found: StreamEvent) -> None:
        """Take an event for dispatch (dropped, with a warning, if far too many wait)."""
        try:
            self.events.put_nowait(found)
        except asyncio.QueueFull:
            log.warning("streaming: %d events waiting, one dropped", EVENTS)

    def open(self, connection: Connection) -> None:
        self.connections.add(connection)

    def leave(self, connection: Connection) -> None:
        connection.close()
        self.connections.discard(connection)

    def count(self, token_id: int) -> int:
        """How many streams are open with a token."""
        return sum(1 for c in self.connections if c.token_id == token_id)

    def count_of(self, viewer_id: int) -> int:
        """How many streams a member has open, whatever the tokens."""
        return sum(1 for c in self.connections if c.viewer_id == viewer_id)

    def streams_of(self, viewer_id: int) -> set[Stream]:
        """The distinct streams a member's connections are subscribed to."""
        return {s for c in self.connections if c.viewer_id == viewer_id for s in c.streams}

    async def start(self) -> None:
        """Start dispatching, and listening on PostgreSQL (or to this process's commits)."""
        self._tasks = [
            asyncio.create_task(self._dispatch_forever()),
            asyncio.create_task(self._check_tokens_forever()),
        ]
        stream_events.COMMITTED.append(self.tokens.heard)
        if self.listen_to is not None:
            self._tasks.append(asyncio.create_task(self._listen_forever(self.listen_to)))
        else:
            # Grants are not remembered on SQLite: short commands (`harbour account suspend`,
            # `account password`) run beside the node, and their commits reach no listener.
            stream_events.SINKS.append(self.offer)

    def end_all(self) -> None:
        """Close every stream (the node is shutting down)."""
        for connection in list(self.connections):
            connection.close()

    async def stop(self) -> None:
        """Close every stream and stop the tasks."""
        self.tokens.trust(False)
        with contextlib.suppress(ValueError):
            stream_events.SINKS.remove(self.offer)
        with contextlib.suppress(ValueError):
            stream_events.COMMITTED.remove(self.tokens.heard)
        self.end_all()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _dispatch_forever(self) -> None:
        while True:
            found = await self.events.get()
            try:
                await self.dispatch(found)
            except Exception:  # one event that cannot be told must not end streaming
                log.exception("streaming: telling %s %s failed", found.kind, found.id)

    async def dispatch(self, found: StreamEvent) -> None:
        """Hand an event to every connection that may see it."""
        if found.kind == "gone":
            self._close(lambda c: c.viewer_id == found.id)
            return
        if found.kind == "revoked":
            self._close(lambda c: c.token_id == found.id)
            return
        by_viewer: dict[int, list[Connection]] = defaultdict(list)
        for connection in self.connections:
            if connection.open:
                by_viewer[connection.viewer_id].append(connection)
        async with self.sessions() as session:
            for viewer_id, connections in by_viewer.items():
                viewer = await session.get(Account, viewer_id)
                if viewer is None or viewer.suspended_at or viewer.deleted_at:
                    for connection in connections:
                        connection.close()
                    continue
                streams = set().union(*(c.streams for c in connections))
                # Rendering (and the Mastodon API entities it uses) loads with the first
                # event a stream is open for.
                from node.streaming.render import messages

                for message in await messages(session, found, viewer, streams, self.base_url):
                    for connection in connections:
                        if message.stream not in connection.streams:
                            continue
                        if message.event == "notification" and not connection.notifications:
                            continue  # its token may not read notifications
                        connection.deliver(message)

    def _close(self, which: Callable[[Connection], bool]) -> None:
        for connection in list(self.connections):
            if which(connection):
                connection.close()

    async def _check_tokens_forever(self) -> None:
        """Close streams whose token was revoked (a revocation of every token of an account
        is one statement the session does not see) or whose account is gone."""
        while True:
            await asyncio.sleep(TOKEN_CHECK_SECONDS)
            tokens = {c.token_id for c in self.connections if c.open}
            if not tokens:
                continue
            try:
                async with self.sessions() as session:
                    valid = set(
                        await session.scalars(
                            select(AccessToken.id)
                            .join(Account, Account.id == AccessToken.account_id)
                            .where(
                                AccessToken.id.in_(tokens),
                                AccessToken.revoked_at.is_(None),
                                Account.suspended_at.is_(None),
                                Account.deleted_at.is_(None),
                            )
                        )
                    )
            except Exception as error:  # a database hiccup: check again next time
                log.warning("streaming: checking tokens failed: %s", type(error).__name__)
                continue
            self._close(partial(_not_among, valid))

    async def _listen_forever(self, database_url: str) -> None:
        """Every process's committed events, from PostgreSQL, until cancelled."""
        failed = "streaming: listening failed (%s); again in %.0f s"
        await keep_connected(database_url, _listen, self._hear, failed, log)

    async def _hear(self, connection: AsyncConnection[Any]) -> None:
        """Offer every event announced on `connection`, trusting the token cache meanwhile."""
        self.tokens.trust(True)  # from now on every revocation is heard
        try:
            async for notice in connection.notifies():
                try:
                    found = StreamEvent.from_json(notice.payload)
                except ValueError:
                    log.warning("streaming: an unreadable event was ignored")
                    continue
                self.tokens.heard(found)  # here, not after the dispatcher's queue
                self.offer(found)
        finally:
            self.tokens.trust(False)  # what is said while not listening goes unheard


async def _listen(connection: AsyncConnection[Any]) -> None:
    await connection.execute(f"LISTEN {stream_events.CHANNEL}")
