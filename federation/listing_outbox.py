"""Staff publish, edit and delete their organisation's listings: each change is written
and its Create, Update or Delete queued to the organisation's followers in the caller's
transaction (the caller commits and calls `fed.notify()`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from content import directory
from content.accounts import Account
from content.directory import Listing
from content.listing_fields import ListingFields
from federation import listing_wire, object_outbox
from federation.context import Federation


async def publish(
    fed: Federation, session: AsyncSession, organisation: Account, values: ListingFields
) -> Listing:
    """A new listing of the organisation, from validated values, sent to its followers."""
    listing = await directory.save(session, organisation, values, base_url=fed.base_url)
    await _send(fed, session, organisation, "Create", listing_wire.document(listing, organisation))
    return listing


async def update(
    fed: Federation,
    session: AsyncSession,
    organisation: Account,
    listing: Listing,
    values: ListingFields,
) -> Listing:
    """New values for one of the organisation's listings, sent to its followers."""
    await directory.save(session, organisation, values, listing=listing)
    await _send(fed, session, organisation, "Update", listing_wire.document(listing, organisation))
    return listing


async def send_again(
    fed: Federation, session: AsyncSession, organisation: Account, listing: Listing
) -> None:
    """The listing as it is now, sent to the organisation's followers again (another
    organisation vouched for it)."""
    await _send(fed, session, organisation, "Update", listing_wire.document(listing, organisation))


async def delete(
    fed: Federation, session: AsyncSession, organisation: Account, listing: Listing
) -> None:
    """Delete one of the organisation's listings here and at its followers."""
    tombstone = {"id": listing.uri, "type": "Tombstone"}
    await directory.remove(session, listing)
    await _send(fed, session, organisation, "Delete", tombstone)


async def send_existing(
    fed: Federation, session: AsyncSession, organisation: Account, follower: Account
) -> None:
    """A new follower on another server gets a Create of each of the organisation's listings,
    so its directory holds them without waiting for the next edit."""
    listings = await directory.of_account(session, organisation)
    documents = [listing_wire.document(listing, organisation) for listing in listings]
    await object_outbox.to_follower(
        fed, session, organisation, follower, documents, listing_wire.CONTEXT
    )


async def _send(
    fed: Federation, session: AsyncSession, actor: Account, kind: str, object_: dict[str, Any]
) -> None:
    await object_outbox.to_followers(fed, session, actor, kind, object_, listing_wire.CONTEXT)
