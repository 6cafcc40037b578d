"""Mentions in a member's text: `@name` (here) and `@name@server`, resolved to accounts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from content.sanitize import MENTION
from federation.context import Federation
from federation.resolve import actor_by_handle

MAX_MENTIONS = 20


def full_handle(handle: str, domain: str) -> str:
    """`name` alone means an account on this node."""
    handle = handle.strip().removeprefix("@")
    return handle if "@" in handle else f"{handle}@{domain}"


async def resolve_mentions(fed: Federation, session: AsyncSession, text: str) -> list[Account]:
    """The accounts a text mentions, found here or through WebFinger (at most 20)."""
    handles = list(dict.fromkeys(MENTION.findall(text)))[:MAX_MENTIONS]
    return [await actor_by_handle(fed, session, full_handle(h, fed.domain)) for h in handles]
