"""The verdicts every other package asks for; nothing else re-implements these rules."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    bindparam,
    cast,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.hostnames import InvalidHost, host_of
from content import notification_policy, relationships
from content.accounts import Account, not_on_any
from content.domain_match import on_any
from content.notifications import Notification
from content.orm import UTCDateTime, utcnow
from content.readers import Reader
from moderation import (
    account_blocks,
    allowlist,
    domain_blocks,
    member_domain_blocks,
    mutes,
    quarantine,
)
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


async def federating(
    session: AsyncSession, hosts: Collection[str], mode: FederationMode
) -> set[str]:
    """Those of `hosts` that `may_federate_with` allows, read in one query of the blocks
    (and one of the allowlist) for all of them: a worker's batch of deliveries to 200
    servers asked 200 times before (issue 18)."""
    if not hosts:
        return set()
    blocks = await domain_blocks.blocks_for(session, hosts)
    allowed = {
        host
        for host in hosts
        if (block := blocks.get(host)) is None or block.severity != Severity.SUSPEND
    }
    if mode == FederationMode.ALLOWLIST:
        allowed &= await allowlist.allowed(session, allowed)
    return allowed


async def may_federate_with_uri(session: AsyncSession, uri: str, mode: FederationMode) -> bool:
    """`may_federate_with` for the server a URI is on; a URI without a usable host never."""
    try:
        host = host_of(uri)
    except InvalidHost:
        return False
    return await may_federate_with(session, host, mode)


async def is_limited(session: AsyncSession, host: str) -> bool:
    """Whether `host` is silenced or in quarantine: its follows need approval, its posts stay
    out of public timelines."""
    block = await domain_blocks.block_for(session, host)
    if block is not None and block.severity == Severity.SILENCE:
        return True
    return await quarantine.is_quarantined(session, host)


async def accepts_reports_from(session: AsyncSession, host: str) -> bool:
    """Whether `Flag`s from `host` reach the moderation queue."""
    block = await domain_blocks.block_for(session, host)
    return block is None or not block.reject_reports


async def accepts_corrections_from(session: AsyncSession, host: str) -> bool:
    """Whether corrections offered from `host` reach an organisation's review queue: not
    from a blocked (silenced or suspended) server, one whose reports are rejected, or one in
    quarantine."""
    block = await domain_blocks.block_for(session, host)
    if block is not None and (block.severity != Severity.NOOP or block.reject_reports):
        return False
    return not await quarantine.is_quarantined(session, host)


async def in_trusted_circle(session: AsyncSession, host: str) -> bool:
    """Whether `host` is a partner organisation moderators share report cases with: a host on
    this node's allowlist (the federation allowlist in allowlist mode, the trusted partners
    in open mode), never a suspended or report-rejecting one."""
    block = await domain_blocks.block_for(session, host)
    if block is not None and (block.severity == Severity.SUSPEND or block.reject_reports):
        return False
    return await allowlist.is_allowed(session, host)


async def accepts_media_from(session: AsyncSession, host: str) -> bool:
    """Whether attachments from `host` are kept and shown."""
    block = await domain_blocks.block_for(session, host)
    return block is None or (not block.reject_media and block.severity != Severity.SUSPEND)


@dataclass(frozen=True)
class Limited:
    """What public places leave out: silenced `domains` (with their sub-domains) and the
    `held` servers in quarantine (a subquery of hosts)."""

    domains: list[str]
    held: Select[str]


async def limited(session: AsyncSession) -> Limited:
    """Silenced domains and servers in quarantine, whose posts public timelines leave out."""
    silenced = await domain_blocks.domains_with(session, Severity.SILENCE)
    return Limited(silenced, await quarantine.held_hosts(session))


async def may_fetch_media_from(session: AsyncSession, host: str, mode: FederationMode) -> bool:
    """Whether the node may fetch media (attachments, avatars, headers) from `host` now:
    a server it federates with, that media is not rejected from, not in quarantine."""
    return (
        await may_federate_with(session, host, mode)
        and await accepts_media_from(session, host)
        and not await quarantine.is_quarantined(session, host)
    )


@dataclass(frozen=True)
class Hidden:
    """What a viewer must not be shown: accounts (blocked either way or muted) and the
    domains the viewer blocks."""

    accounts: frozenset[int] = frozenset()
    domains: frozenset[str] = frozenset()


def _hidden_query() -> CompoundSelect[int, str | None]:
    """`hidden_from`'s statement, built once: a page is its values alone (`viewer`, `now`).
    Building and keying it anew took a share of every page's CPU (issue 18)."""
    viewer, now = bindparam("viewer", type_=BigInteger), bindparam("now", type_=UTCDateTime)
    no_id, no_domain = cast(null(), BigInteger), cast(null(), String)
    AccountBlock, Mute = account_blocks.AccountBlock, mutes.Mute
    DomainBlock = member_domain_blocks.MemberDomainBlock
    return union_all(
        select(AccountBlock.target_id, no_domain).where(AccountBlock.account_id == viewer),
        select(AccountBlock.account_id, no_domain).where(AccountBlock.target_id == viewer),
        select(Mute.target_id, no_domain).where(Mute.account_id == viewer, mutes.in_force(now)),
        select(no_id, DomainBlock.domain).where(DomainBlock.account_id == viewer),
    )


_HIDDEN = _hidden_query()


async def hidden_from(session: AsyncSession, viewer: Reader | None) -> Hidden:
    """The accounts and domains to leave out of everything `viewer` reads."""
    if viewer is None:
        return Hidden()
    # One statement, not one per table: every page a member reads asks this (issue 18).
    rows = await session.execute(_HIDDEN, {"viewer": viewer.id, "now": utcnow()})
    hidden_accounts: set[int] = set()
    domains: set[str] = set()
    for account_id, domain in rows:
        if domain is not None:
            domains.add(domain)
        elif account_id != viewer.id:
            hidden_accounts.add(account_id)
    return Hidden(accounts=frozenset(hidden_accounts), domains=frozenset(domains))


async def left_out_of_threads(
    session: AsyncSession, viewer: Account | None, author_ids: Collection[int]
) -> set[int]:
    """Which of these authors' replies a thread leaves out for `viewer` (None: a visitor,
    or another server): limited ones (silenced, on a silenced server or one in quarantine)
    unless she follows them, as public timelines do, and those she hides herself."""
    if not author_ids:
        return set()
    left_out = await limited(session)
    limited_ids = set(
        await session.scalars(
            select(Account.id).where(
                Account.id.in_(author_ids),
                or_(
                    Account.silenced_at.is_not(None),
                    on_any(Account.domain, left_out.domains),
                    Account.domain.in_(left_out.held),
                ),
            )
        )
    )
    if viewer is None:
        return limited_ids
    hidden = await hidden_from(session, viewer)
    followed = set(await relationships.followed_ids(session, viewer)) | {viewer.id}
    on_blocked_servers = set(
        await session.scalars(
            select(Account.id).where(
                Account.id.in_(author_ids), on_any(Account.domain, hidden.domains)
            )
        )
    )
    return (limited_ids - followed) | (set(author_ids) & hidden.accounts) | on_blocked_servers


@dataclass(frozen=True)
class NotificationView:
    """What a member's notifications leave out: senders she blocked (or who blocked her),
    muted with their notifications, or on a server she blocks (`hidden`), and how her
    notification policy sorts the rest (`sorting`)."""

    hidden: list[ColumnElement[bool]]
    sorting: notification_policy.Sorting

    def shown(self, *, include_held: bool = False) -> list[ColumnElement[bool]]:
        """Conditions for her notifications (with those held back, if asked)."""
        return [*self.hidden, self.sorting.shown(include_held=include_held)]

    def held(self) -> list[ColumnElement[bool]]:
        """Conditions for the notifications held back as requests."""
        return [*self.hidden, self.sorting.held, ~self.sorting.dropped]


async def notification_view(session: AsyncSession, viewer: Account) -> NotificationView:
    """How `viewer`'s notifications are read, on the web and through the API alike."""
    blocked = await account_blocks.blocked_either_way(session, viewer)
    muted = await mutes.muted_ids(session, viewer, notifications=True)
    domains = await member_domain_blocks.blocked_domains(session, viewer)
    left_out = await limited(session)
    sorting = await notification_policy.sorting(session, viewer, left_out.domains, left_out.held)
    hidden = [
        Notification.from_account_id.not_in(blocked | muted),
        not_on_any(Account.domain, domains),
    ]
    return NotificationView(hidden, sorting)
