"""The verdicts every other package asks for; nothing else re-implements these rules."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from moderation import allowlist


class FederationMode(StrEnum):
    """Open federation (everyone not blocked) or allowlist (only listed hosts)."""

    OPEN = "open"
    ALLOWLIST = "allowlist"


async def may_federate_with(session: AsyncSession, host: str, mode: FederationMode) -> bool:
    """Whether activities from `host` are accepted and activities to it are sent."""
    if mode == FederationMode.ALLOWLIST:
        return await allowlist.is_allowed(session, host)
    return True
