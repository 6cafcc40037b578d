"""What every request handler can reach: settings, database sessions, federation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from content.node_usage import UsageCache
from content.token_cache import TokenCache
from federation.context import Federation
from federation.media_proxy import MediaProxy
from node.i18n import Interface
from node.settings import Settings


@dataclass(frozen=True)
class Services:
    """The node's long-lived parts, built once in `create_app`."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    federation: Federation
    # The interface languages offered and their catalogues (each compiled on first use).
    interface: Interface
    # Remote attachments, avatars and headers, fetched and served by the node.
    media_proxy: MediaProxy
    # Sign-ins checking a password or recovery code at once; the others wait for a turn
    # holding no database connection, so a storm of them cannot take the pool from pages.
    sign_ins: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    # Bearer tokens' grants, remembered while revocations are heard (`content.token_cache`).
    tokens: TokenCache = field(default_factory=TokenCache)
    # What NodeInfo and the instance description count, kept a few minutes (`content.node_usage`).
    usage: UsageCache = field(default_factory=UsageCache)


def services(request: HTTPConnection) -> Services:
    """The services of the app serving this request (or WebSocket)."""
    found: Services = request.app.state.services
    return found
