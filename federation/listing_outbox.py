"""Staff publish, edit and delete their organisation's listings: each change is written
and its Create, Update or Delete queued to the organisation's followers in the caller's
transaction (the caller commits and calls `fed.notify()`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import PUBLIC
from content import directory
from content.accounts import Account
from content.directory import Listing
from content.listing_fields import ListingFields
from content.orm import new_id
from federation import addressing, delivery, listing_wire
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
    if follower.is_local:
        return
    inboxes = await addressing.for_account(fed, session, follower)
    for listing in await directory.of_account(session, organisation):
        document = listing_wire.document(listing, organisation)
        await delivery.enqueue(
            session, _activity(organisation, "Create", document), organisation.id, inboxes
        )


async def _send(
    fed: Federation, session: AsyncSession, actor: Account, kind: str, object_: dict[str, Any]
) -> None:
    inboxes = await addressing.for_followers_and(fed, session, actor, ())
    await delivery.enqueue(session, _activity(actor, kind, object_), actor.id, inboxes)


def _activity(actor: Account, kind: str, object_: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": listing_wire.CONTEXT,
        "id": f"{actor.uri}#{kind.lower()}s/{new_id()}",
        "type": kind,
        "actor": actor.uri,
        "object": object_,
        "to": [PUBLIC],
        "cc": [actor.followers_uri] if actor.followers_uri else [],
    }
