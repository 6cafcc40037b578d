"""The verdicts every other package asks for; nothing else re-implements these rules."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from moderation import allowlist, domain_blocks
from moderation.domain_blocks import Severity


class FederationMode(StrEnum):
    """Open federation (everyone not blocked) or allowlist (only listed hosts)."""

    OPEN = "open"
    ALLOWLIST = "allowlist"


async def may_federate_with(session: AsyncSession, host: str, mode: FederationMode) -> bool:
    """Whether activities from `host` are accepted, its documents fetched and activities to it
    sent. A suspended domain is refused in every mode; the allowlist comes on top."""
    block = await domain_blocks.block_for(session, host)
    if block is not None and block.severity == Severity.SUSPEND:
        return False
    if mode == FederationMode.ALLOWLIST:
        return await allowlist.is_allowed(session, host)
    return True


async def is_limited(session: AsyncSession, host: str) -> bool:
    """Whether `host` is silenced: its follows need approval, its posts stay out of public
    timelines."""
    block = await domain_blocks.block_for(session, host)
    return block is not None and block.severity == Severity.SILENCE


async def accepts_reports_from(session: AsyncSession, host: str) -> bool:
    """Whether `Flag`s from `host` reach the moderation queue."""
    block = await domain_blocks.block_for(session, host)
    return block is None or not block.reject_reports


async def accepts_media_from(session: AsyncSession, host: str) -> bool:
    """Whether attachments from `host` are kept and shown."""
    block = await domain_blocks.block_for(session, host)
    return block is None or (not block.reject_media and block.severity != Severity.SUSPEND)


async def limited_domains(session: AsyncSession) -> list[str]:
    """Silenced domains, whose posts public timelines leave out."""
    return await domain_blocks.domains_with(session, Severity.SILENCE)
