"""Co-verification: staff of this node's organisation say it checked another organisation's
listing too, and statements that others checked a listing are kept only if their proofs
verify (`vouch_wire` says what they look like).

The statement is the vouching organisation's, signed with its FEP-8b32 key, so the listing's
origin can pass it on to every mirror and each can check who made it: altered on the way, or
made up by the origin itself, it verifies for nobody and is left out."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import id_of
from activitypub.errors import SignatureError
from content import accounts
from content.accounts import Account
from content.directory import Listing
from content.interface_text import N_
from content.orm import utcnow
from federation import addressing, delivery, proofs, vouch_wire
from federation.context import Federation
from moderation import audit, policy

AUDITED = "listing.co-verify"


class VouchError(ValueError):
    """The organisation cannot vouch for this listing; the message is fit to show."""


async def vouch(
    fed: Federation,
    session: AsyncSession,
    staff: Account,
    organisation: Account,
    listing: Listing,
) -> None:
    """The organisation checked `listing` (another's, mirrored here) today: its statement,
    proven, is kept with the copy here and added to the listing at its origin. Audited."""
    owner = await session.get(Account, listing.account_id)
    if owner is None or owner.is_gone or owner.id == organisation.id:
        raise VouchError(N_("Only another organisation's listing can be checked too."))
    made = vouch_wire.statement(organisation, listing.uri, utcnow().date())
    proven = proofs.prove(made, organisation)
    listing.vouches = with_statement(listing.vouches, proven)
    if not owner.is_local:
        inboxes = await addressing.for_account(fed, session, owner)
        activity = vouch_wire.add(organisation, proven, owner.uri)
        await delivery.enqueue(session, activity, organisation.id, inboxes)
    audit.record(session, staff, AUDITED, listing.uri, "")


def with_statement(kept: list[dict[str, Any]], statement: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements kept, with `statement` instead of any earlier one by its maker."""
    maker = id_of(statement.get("attributedTo"))
    others = [s for s in kept if id_of(s.get("attributedTo")) != maker]
    return [*others, statement][-vouch_wire.MAX_READ :]


async def proven_statement(
    fed: Federation, session: AsyncSession, statement: Any, listing_uri: str
) -> Account | None:
    """The organisation that made `statement` about the listing, if it is a current one
    whose proof verifies with that organisation's published key; None otherwise."""
    found = vouch_wire.read(statement, listing_uri, utcnow().date())
    if found is None:
        return None
    try:
        maker = await proofs.proven_author(fed, session, statement)
    except SignatureError:  # altered, or not its maker's
        return None
    if maker is None or maker.uri != found[0] or maker.actor_type != "Organization":
        return None
    if not maker.is_local and await policy.is_limited(session, maker.domain or ""):
        return None  # a server this node silences or suspends vouches for nothing here
    return maker


async def shown(
    session: AsyncSession, listing: Listing, here: str
) -> list[tuple[Account, str, date]]:
    """Who vouched for the listing, on which server (`here` for this node's) and when, as
    its page says: current statements by organisations known here, the most recent first."""
    today = utcnow().date()
    found = [vouch_wire.read(s, listing.uri, today) for s in listing.vouches]
    current = [f for f in found if f is not None]
    makers = {a.uri: a for a in await accounts.by_uris(session, [uri for uri, _ in current])}
    made = [(makers[uri], makers[uri].domain or here, on) for uri, on in current if uri in makers]
    return sorted(made, key=lambda vouch: vouch[2], reverse=True)


async def proven_statements(
    fed: Federation, session: AsyncSession, document: dict[str, Any], listing_uri: str
) -> list[dict[str, Any]]:
    """The statements a listing's document carries that verify (`proven_statement`)."""
    kept: list[dict[str, Any]] = []
    for statement in vouch_wire.carried(document):
        if await proven_statement(fed, session, statement, listing_uri) is not None:
            kept = with_statement(kept, statement)
    return kept
