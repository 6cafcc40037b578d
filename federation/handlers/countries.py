"""Create, Update and Delete of country pages from organisations followed here (as
`publishers.may_publish` says): every language version is mirrored (sections as sanitised
HTML), only ever changed by its origin."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from content import countries, country_trust
from content.country_fields import CountryPageError, validate
from content.orm import utcnow
from federation import country_wire, vouches
from federation.handlers.incoming import Incoming
from federation.handlers.publishers import may_publish
from federation.listing_wire import owned_by


async def on_create(incoming: Incoming) -> None:
    """Mirror the page of an organisation someone here follows (fetched from its origin
    when given by id)."""
    document = await incoming.object_document()
    await _store(incoming, document, complete=False)


async def on_update(incoming: Incoming) -> None:
    """The origin changed a page: our copy follows (or is made, if it was missed)."""
    await _store(incoming, incoming.object, complete=True)


async def on_delete(incoming: Incoming) -> None:
    """The origin deleted a page: every language version of our copy goes."""
    pages = await countries.by_uri(incoming.session, incoming.object_id or "")
    if pages and all(page.account_id == incoming.actor.id for page in pages):
        await countries.remove(incoming.session, pages)


async def _store(incoming: Incoming, document: Any, *, complete: bool) -> None:
    """Mirror the document's language versions. Deliveries can overtake each other, so a
    version older than ours is ignored, and only an Update (`complete`) drops languages it
    no longer has: a late Create must not take back a translation an Update brought."""
    actor, session = incoming.actor, incoming.session
    if not country_wire.is_country_information(document) or not owned_by(document, actor):
        incoming.drop("not a country page of the actor's")
        return
    existing = await countries.by_uri(session, document["id"])
    if any(page.account_id != actor.id for page in existing):
        incoming.drop("another actor's page has this id")
        return
    if not existing and not await may_publish(incoming):
        return
    if (proven := await incoming.proven(document)) is None:
        return
    # A day's grace for clocks that run ahead of ours.
    today = (utcnow() + timedelta(days=1)).date()
    kept: dict[str, tuple[Any, int]] = {}
    # Sanitising up to a megabyte of sections is work for a thread, not the event loop.
    for values, revision in await asyncio.to_thread(country_wire.versions_of, document):
        try:
            validate(values, today=today, section_limit=country_wire.MAX_SECTION)
        except CountryPageError:
            continue
        if existing and values.country != existing[0].country:
            incoming.drop("a page cannot move to another country")
            return
        kept.setdefault(values.language, (values, revision))
    if not kept:
        incoming.drop("no valid language version")
        return
    country = next(iter(kept.values()))[0].country
    if not await country_trust.trusted(session, actor, country):
        incoming.drop("staff here trust other organisations for this country")
        return
    if complete:
        await countries.remove(session, [p for p in existing if p.language not in kept])
    ours = {page.language: page.revision for page in existing}
    newer = [(values, n) for values, n in kept.values() if n >= ours.get(values.language, 0)]
    for values, revision in newer:
        await countries.store_mirrored(
            session, actor, document["id"], values, revision, proven=proven
        )
    if newer:  # the statements the newest document carries, on every language version
        uri = document["id"]
        statements = await vouches.proven_statements(incoming.fed, session, document, uri, actor)
        vouches.Vouched(await countries.by_uri(session, uri)).keep(statements)
