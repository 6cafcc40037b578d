"""Create, Update and Delete of service listings from organisations followed here (as
`publishers.may_publish` says): their listings are mirrored into this node's directory, only
ever changed by their origin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from content import country_trust, directory
from content.listing_fields import ListingError, drop_invalid_translations, validate
from content.orm import utcnow
from federation import listing_wire, vouches
from federation.handlers.incoming import Incoming
from federation.handlers.publishers import admit


async def on_create(incoming: Incoming) -> None:
    """Mirror a listing of an organisation someone here follows (fetched from its origin
    when given by id)."""
    document = await incoming.object_document()
    await _store(incoming, document, replaces=False)


async def on_update(incoming: Incoming) -> None:
    """The origin changed a listing: our copy follows (or is made, if it was missed)."""
    await _store(incoming, incoming.object, replaces=True)


async def on_delete(incoming: Incoming) -> None:
    """The origin deleted a listing: our copy goes too."""
    listing = await directory.get_by_uri(incoming.session, incoming.object_id or "")
    if listing is not None and listing.account_id == incoming.actor.id:
        await directory.remove(incoming.session, listing)


async def _store(incoming: Incoming, document: Any, *, replaces: bool) -> None:
    """Mirror the listing. Deliveries can overtake each other: a Create that arrives after
    an Update (which made the copy) must not take the copy back to the first version, so
    only an Update (`replaces`) changes a copy we have."""
    actor = incoming.actor
    if not listing_wire.is_listing(document):
        incoming.drop("not a listing")
        return
    existing = await directory.get_by_uri(incoming.session, str(document.get("id")))
    owner = existing.account_id if existing is not None else None
    if (proven := await admit(incoming, document, owner, replaces=replaces)) is None:
        return
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
