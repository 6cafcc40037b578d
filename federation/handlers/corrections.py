"""Offer of a correction: filed in the queue of the local organisation that owns the object;
Accept, TentativeAccept or Reject of one this node's member sent: her answer.

Corrections are refused from servers that are blocked or in quarantine, limited per site
(a registrable domain) in time and in how many may wait unread in a queue at once; the
text is read as plain text and bounded (`correction_wire`)."""

from __future__ import annotations

from dataclasses import replace

from content import accounts, corrections, countries, directory
from content.accounts import Account
from content.corrections import CorrectionError
from content.countries import CountryPage
from content.directory import Listing
from federation import correction_wire
from federation.handlers.incoming import Incoming
from moderation import policy
from moderation.domain_names import site_of
from moderation.rate_limits import Action, RateLimited

MAX_OPEN_PER_SITE = 20  # suggestions from one site waiting unread in one organisation's queue


async def on_offer(incoming: Incoming) -> None:
    """File an offered correction with the local organisation it is addressed to."""
    activity, session = incoming.activity, incoming.session
    if not correction_wire.is_correction(activity):
        incoming.drop("an Offer of something other than a correction")
        return
    host = incoming.actor.domain or ""
    if not await policy.accepts_corrections_from(session, host):
        incoming.drop("corrections are not taken from its server (blocked or in quarantine)")
        return
    try:
        suggestion = correction_wire.parse_offer(activity)
    except CorrectionError as error:
        incoming.drop(f"not a valid correction: {error}")
        return
    organisation = await accounts.get_by_uri(session, suggestion.organisation_uri)
    target = await _target(incoming, organisation, suggestion)
    if organisation is None or target is None:
        incoming.drop("it corrects nothing a local organisation published")
        return
    if await corrections.exists(session, suggestion.uri):
        return
    site = site_of(host)
    if await corrections.open_from_site(session, organisation, site) >= MAX_OPEN_PER_SITE:
        # However slowly they come, one server's suggestions never bury everyone else's.
        incoming.drop("too many of its server's corrections wait for staff already")
        return
    try:
        await incoming.fed.limits.take(Action.CORRECTION_HOST, site)
    except RateLimited:
        incoming.drop("too many corrections from its server")
        return
    corrections.file(
        session,
        uri=suggestion.uri,
        organisation=organisation,
        target=target,
        # A section given with a listing is dropped: listings have none.
        suggestion=suggestion.checked
        if isinstance(target, CountryPage)
        else replace(suggestion.checked, section=""),
        signed_by=suggestion.signed_by,
        sender=incoming.actor,
    )


async def _target(
    incoming: Incoming, organisation: Account | None, suggestion: correction_wire.Suggestion
) -> Listing | CountryPage | None:
    """The local organisation's listing or country page (in the language given, else its
    first) the suggestion is about; a country page's needs its section."""
    if organisation is None or not organisation.is_local:
        return None
    session = incoming.session
    listing = await directory.get_by_uri(session, suggestion.object_uri)
    if listing is not None:
        return listing if listing.account_id == organisation.id else None
    pages = [
        page
        for page in await countries.by_uri(session, suggestion.object_uri)
        if page.account_id == organisation.id
    ]
    if not pages or not suggestion.checked.section:
        return None
    chosen = [page for page in pages if page.language == suggestion.language]
    return (chosen or pages)[0]


async def on_answer(incoming: Incoming) -> None:
    """The organisation's answer to a correction a member here sent: kept for her to read.
    Only the organisation it was offered to may answer; other Accepts and Rejects are not
    about corrections and pass by."""
    object_id = incoming.object_id
    if object_id is None or not incoming.fed.is_local(object_id):
        return
    sent = await corrections.sent(incoming.session, object_id)
    found = correction_wire.parse_answer(incoming.activity)
    if sent is None or found is None:
        return
    if sent.organisation_uri != incoming.actor.uri:
        incoming.drop("an answer to a correction from another actor than its organisation")
        return
    corrections.answer(sent, *found)
