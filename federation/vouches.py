"""Co-verification: staff of this node's organisation say it checked another organisation's
listing or country page too, and statements that others checked one are kept only if their
proofs verify (`vouch_wire` says what they look like).

The statement is the vouching organisation's, signed with its FEP-8b32 key, so the object's
origin can pass it on to every mirror and each can check who made it: altered on the way, or
made up by the origin itself, it verifies for nobody and is left out.

Listings and country pages share one mechanism: a `Vouched` is the rows of one object (a
listing, or every language version of a country page), which all keep the same statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.errors import SignatureError
from content import accounts, countries, directory
from content.accounts import Account
from content.countries import CountryPage
from content.directory import Listing
from content.interface_text import N_
from content.orm import utcnow
from federation import addressing, country_outbox, delivery, listing_outbox, proofs, vouch_wire
from federation.context import Federation
from moderation import audit, policy
from moderation.policy import FederationMode

Statement = dict[str, Any]


class VouchError(ValueError):
    """The organisation cannot vouch for this object; the message is fit to show."""


@dataclass(frozen=True)
class Vouched:
    """A listing, or every language version of a country page: one object, one origin."""

    rows: Sequence[Listing] | Sequence[CountryPage]

    @property
    def uri(self) -> str:
        return self.rows[0].uri

    @property
    def owner_id(self) -> int:
        return self.rows[0].account_id

    @property
    def audited(self) -> str:
        """The audit log's name for vouching for it."""
        kind = "listing" if isinstance(self.rows[0], Listing) else "country"
        return f"{kind}.co-verify"

    @property
    def statements(self) -> list[Statement]:
        """The statements kept with the object (a language version added since has none)."""
        return vouch_wire.merged([row.vouches for row in self.rows])

    def keep(self, statements: list[Statement]) -> None:
        for row in self.rows:
            row.vouches = statements

    async def send_again(self, fed: Federation, session: AsyncSession, owner: Account) -> None:
        """The object as it is now, sent to the owner's followers again (an Update)."""
        if isinstance(self.rows[0], Listing):
            await listing_outbox.send_again(fed, session, owner, self.rows[0])
        else:
            await country_outbox.send_again(fed, session, owner, self.uri)


async def by_uri(session: AsyncSession, uri: str) -> Vouched | None:
    """The listing or country page with this id, if this node has it."""
    listing = await directory.get_by_uri(session, uri)
    if listing is not None:
        return Vouched([listing])
    pages = await countries.by_uri(session, uri)
    return Vouched(pages) if pages else None


async def vouch(
    fed: Federation,
    session: AsyncSession,
    staff: Account,
    organisation: Account,
    subject: Vouched,
) -> None:
    """The organisation checked `subject` (another's, mirrored here) today: its statement,
    proven, is kept with the copy here and added to the object at its origin. Audited."""
    owner = await session.get(Account, subject.owner_id)
    if owner is None or owner.is_gone or owner.id == organisation.id:
        raise VouchError(N_("Only another organisation's information can be checked too."))
    made = vouch_wire.statement(organisation, subject.uri, utcnow().date())
    proven = proofs.prove(made, organisation)
    subject.keep(vouch_wire.with_statement(subject.statements, proven))
    if not owner.is_local:
        inboxes = await addressing.for_account(fed, session, owner)
        activity = vouch_wire.add(organisation, proven, owner.uri)
        await delivery.enqueue(session, activity, organisation.id, inboxes)
    audit.record(session, staff, subject.audited, subject.uri, "")


async def proven_statement(
    fed: Federation, session: AsyncSession, statement: Any, object_uri: str, owner: Account
) -> Account | None:
    """The organisation that made `statement` about `owner`'s object, if it is a current
    one whose proof verifies with that organisation's published key and the organisation
    may stand behind it here (`stands_behind`); None otherwise."""
    found = vouch_wire.read(statement, object_uri, utcnow().date())
    if found is None:
        return None
    try:
        maker = await proofs.proven_author(fed, session, statement)
    except SignatureError:  # altered, or not its maker's
        return None
    if maker is None or maker.uri != found[0]:
        return None
    return maker if await stands_behind(session, maker, owner, fed.policy_mode()) else None


async def stands_behind(
    session: AsyncSession, maker: Account, owner: Account, mode: FederationMode
) -> bool:
    """Whether `maker`'s check of `owner`'s object counts here: an organisation other than
    the owner, on another site (the owner's own actors or sub-domains are no second
    opinion), on a server this node federates with and neither silences nor quarantines.
    Asked when a statement arrives and again whenever it is shown, so a block made since
    takes it off at once."""
    same_site = vouch_wire.site(maker.uri) == vouch_wire.site(owner.uri)
    if maker.actor_type != "Organization" or same_site:
        return False
    if maker.is_local:
        return True
    host = maker.domain or ""
    return await policy.may_federate_with(session, host, mode) and not await policy.is_limited(
        session, host
    )


async def shown(
    session: AsyncSession, subject: Vouched, here: str, mode: FederationMode
) -> list[tuple[Account, str, date]]:
    """Who vouched for the object, on which server (`here` for this node's) and when, as
    its page says: current statements by organisations that stand behind it today
    (`stands_behind`), the most recent first."""
    today = utcnow().date()
    owner = await session.get(Account, subject.owner_id)
    found = [vouch_wire.read(s, subject.uri, today) for s in subject.statements]
    current = [f for f in found if f is not None]
    makers = {a.uri: a for a in await accounts.by_uris(session, [uri for uri, _ in current])}
    made = [
        (makers[uri], makers[uri].domain or here, on)
        for uri, on in current
        if uri in makers
        and owner is not None
        and await stands_behind(session, makers[uri], owner, mode)
    ]
    return sorted(made, key=lambda vouch: vouch[2], reverse=True)


async def proven_statements(
    fed: Federation,
    session: AsyncSession,
    document: dict[str, Any],
    object_uri: str,
    owner: Account,
) -> list[Statement]:
    """The statements `owner`'s object's document carries that verify
    (`proven_statement`)."""
    kept: list[Statement] = []
    for statement in vouch_wire.carried(document):
        if await proven_statement(fed, session, statement, object_uri, owner) is not None:
            kept = vouch_wire.with_statement(kept, statement)
    return kept
