"""Add of a co-verification to one of this node's listings: kept, if a partner organisation
made it and its proof verifies, and the listing sent again to its followers, carrying it."""

from __future__ import annotations

from activitypub import id_of
from content import directory
from content.accounts import Account
from federation import listing_outbox, vouches
from federation.handlers.incoming import Incoming
from moderation import policy


async def on_add(incoming: Incoming) -> None:
    """A partner organisation says it checked one of our organisation's listings too."""
    session, actor = incoming.session, incoming.actor
    listing = await directory.get_by_uri(session, id_of(incoming.activity.get("target")) or "")
    owner = await session.get(Account, listing.account_id) if listing is not None else None
    if listing is None or owner is None or not owner.is_local:
        incoming.drop("it adds to no listing published here")
        return
    if not await policy.in_trusted_circle(session, actor.domain or ""):
        incoming.drop("co-verifications are taken from partners on the allowlist only")
        return
    statement = incoming.object
    maker = await vouches.proven_statement(incoming.fed, session, statement, listing.uri)
    if maker is None or maker.id != actor.id:
        incoming.drop("not a current co-verification proven by the organisation that sends it")
        return
    assert isinstance(statement, dict)
    listing.vouches = vouches.with_statement(listing.vouches, statement)
    await listing_outbox.send_again(incoming.fed, session, owner, listing)
