"""What federation code needs at hand: sessions, the transport, and who this node is."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from federation.transport import Transport
from moderation.policy import FederationMode


@dataclass
class Federation:
    """One node's federation runtime, built by `node` and shared by inbox, outbox and worker."""

    sessions: async_sessionmaker[AsyncSession]
    transport: Transport
    base_url: str
    domain: str
    mode: FederationMode
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        """Tell the worker in this process that new work was committed."""
        self.wakeup.set()

    def is_local(self, uri: str) -> bool:
        """Whether a URI belongs to this node."""
        return uri == self.base_url or uri.startswith(self.base_url + "/")
