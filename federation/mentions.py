"""Mentions in a member's text: `@name` (here) and `@name@server`, resolved to accounts."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from federation.context import Federation
from federation.resolve import actor_by_handle

MENTION = re.compile(r"(?<![\w@/])@([a-z0-9_]{1,30}(?:@[a-z0-9.-]+(?::\d{1,5})?)?)", re.I)
MAX_MENTIONS = 20


def full_handle(handle: str, domain: str) -> str:
    """`name` alone means an account on this node."""
    handle = handle.strip().removeprefix("@")
    return handle if "@" in handle else f"{handle}@{domain}"


async def resolve_mentions(fed: Federation, session: AsyncSession, text: str) -> list[Account]:
    """The accounts a text mentions, found here or through WebFinger (at most 20)."""
    handles = list(dict.fromkeys(MENTION.findall(text)))[:MAX_MENTIONS]
    return [await actor_by_handle(fed, session, full_handle(h, fed.domain)) for h in handles]
