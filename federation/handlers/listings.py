"""Create, Update and Delete of service listings from organisations followed here (as
`publishers.admit` says): mirrored into this node's directory, only ever changed by their
origin (`mirrored.Mirrored`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from content import country_trust, directory
from content.listing_fields import ListingError, drop_invalid_translations, validate
from content.orm import utcnow
from federation import listing_wire, vouches
from federation.handlers.incoming import Incoming
from federation.handlers.mirrored import Mirrored


async def _save(
    incoming: Incoming, document: Any, existing: directory.Listing | None, proven: bool
) -> None:
    actor = incoming.actor
    values = listing_wire.fields_of(document)
    drop_invalid_translations(values)
    try:
        # A day's grace for clocks that run ahead of ours.
        today = (utcnow() + timedelta(days=1)).date()
        validate(values, today=today, known_categories_only=False)
    except ListingError as error:
        incoming.drop(f"invalid listing: {error}")
        return
    if not await country_trust.trusted(incoming.session, actor, values.country):
        incoming.drop("staff here trust other organisations for this country")
        return
    saved = await directory.save(
        incoming.session, actor, values, uri=document["id"], listing=existing
    )
    saved.origin_proven = proven
    saved.vouches = await vouches.proven_statements(
        incoming.fed, incoming.session, document, saved.uri, actor
    )


LISTINGS = Mirrored(
    "a listing", listing_wire.is_listing, directory.get_by_uri, directory.remove, _save
)
on_create, on_update, on_delete = LISTINGS.on_create, LISTINGS.on_update, LISTINGS.on_delete
