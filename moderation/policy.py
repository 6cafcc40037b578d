"""The verdicts every other package asks for; nothing else re-implements these rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from moderation import account_blocks, allowlist, member_domain_blocks, mutes


class FederationMode(StrEnum):
    """Open federation (everyone not blocked) or allowlist (only listed hosts)."""

    OPEN = "open"
    ALLOWLIST = "allowlist"


async def may_federate_with(session: AsyncSession, host: str, mode: FederationMode) -> bool:
    """Whether activities from `host` are accepted and activities to it are sent."""
    if mode == FederationMode.ALLOWLIST:
        return await allowlist.is_allowed(session, host)
    return True


@dataclass(frozen=True)
class Hidden:
    """What a viewer must not be shown: accounts (blocked either way or muted) and the
    domains the viewer blocks."""

    accounts: frozenset[int] = frozenset()
    domains: frozenset[str] = frozenset()


async def hidden_from(session: AsyncSession, viewer: Account | None) -> Hidden:
    """The accounts and domains to leave out of everything `viewer` reads."""
    if viewer is None:
        return Hidden()
    blocked = await account_blocks.blocked_either_way(session, viewer)
    muted = await mutes.muted_ids(session, viewer)
    domains = await member_domain_blocks.blocked_domains(session, viewer)
    return Hidden(accounts=frozenset(blocked | muted), domains=frozenset(domains))
