"""The dispatch table from activity type (and object type) to its handler.

Unknown activity types have no handler: they were accepted with 202 and are ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from federation.from_wire import NOTE_TYPES
from federation.handlers import (
    actors,
    blocks,
    corrections,
    countries,
    events,
    flags,
    follows,
    groups,
    listings,
    moves,
    notes,
    reactions,
    votes,
    vouches,
)
from federation.handlers.incoming import Incoming

Handler = Callable[[Incoming], Awaitable[None]]
ACTOR_TYPES = ("Person", "Group", "Organization", "Application", "Service")

# Activities whose handler takes any object; Create and Update only take the types listed.
ANY_OBJECT = frozenset(
    {
        "Follow",
        "Accept",
        "TentativeAccept",
        "Reject",
        "Like",
        "Announce",
        "Block",
        "Flag",
        "Delete",
        "Move",
        "Join",
        "Leave",
    }
)


async def _delete_object(incoming: Incoming) -> None:
    """A Delete of an object: a post (relayed first by its local group, if it was written in
    one), a listing, a country page or an event, whichever we keep."""
    await groups.on_delete(incoming)
    await notes.on_delete(incoming)
    await listings.on_delete(incoming)
    await countries.on_delete(incoming)
    await events.on_delete(incoming)


async def _create_note(incoming: Incoming) -> None:
    """A Create of a note: a vote on a poll here is counted, not kept as a post; a post
    written in a local group is the group's to take first; otherwise it is kept if relevant
    here. A note the group refused is not kept at all."""
    if await votes.on_create(incoming):
        return
    if await groups.on_create(incoming) == groups.Verdict.REFUSED:
        incoming.drop("refused by the local group it was written in")
    else:
        await notes.on_create(incoming)


def _from_organisation(incoming: Incoming) -> bool:
    """An Event from a remote organisation is mirrored into the calendar (or refused there);
    from anyone else it is shown as a status, as Mastodon does."""
    return incoming.actor.actor_type == "Organization" and not incoming.actor.is_local


async def _create_event(incoming: Incoming) -> None:
    if _from_organisation(incoming):
        await events.on_create(incoming)
    else:
        await _create_note(incoming)


async def _update_event(incoming: Incoming) -> None:
    if _from_organisation(incoming):
        await events.on_update(incoming)
    else:
        await _update_note(incoming)


async def _update_note(incoming: Incoming) -> None:
    """An edit of a note we keep; a local group relays its author's edit, and refuses one
    of an author it refuses now (then the post stays as it was)."""
    if await groups.refuses_edit(incoming):
        incoming.drop("the local group the post was written in refuses its author's edits")
        return
    await notes.on_update(incoming)
    await groups.on_update(incoming)


async def _accept(incoming: Incoming) -> None:
    """Our follow was accepted; a group that accepted a member here is backfilled, an
    organisation's groups are read into the directory (once, when the follow is accepted:
    no other Accept makes this node fetch anything); or a member's correction was."""
    if await follows.on_accept(incoming):
        await groups.on_accepted(incoming)
    await corrections.on_answer(incoming)


async def _reject(incoming: Incoming) -> None:
    """Our follow was refused, or a member's correction was."""
    await follows.on_reject(incoming)
    await corrections.on_answer(incoming)


HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("Follow", None): follows.on_follow,
    ("Accept", None): _accept,
    ("Reject", None): _reject,
    ("TentativeAccept", None): corrections.on_answer,
    ("Offer", "Note"): corrections.on_offer,
    ("Undo", "Follow"): follows.on_undo,
    ("Undo", "Like"): reactions.on_undo,
    ("Undo", "Announce"): reactions.on_undo,
    ("Undo", "Block"): blocks.on_undo,
    ("Like", None): reactions.on_like,
    ("Announce", None): reactions.on_announce,
    ("Block", None): blocks.on_block,
    ("Flag", None): flags.on_flag,
    ("Delete", None): _delete_object,
    ("Move", None): moves.on_move,
    **{("Create", kind): _create_note for kind in NOTE_TYPES},
    ("Create", None): _create_note,
    # A group relaying an activity (FEP-1b12): the object is the activity, embedded.
    **{("Announce", kind): groups.on_announce for kind in ("Create", "Update", "Delete", "Block")},
    **{("Update", kind): _update_note for kind in NOTE_TYPES},
    **{("Update", kind): actors.on_update for kind in ACTOR_TYPES},
    ("Add", "CoVerification"): vouches.on_add,
    ("Create", "ServiceListing"): listings.on_create,
    ("Update", "ServiceListing"): listings.on_update,
    ("Create", "CountryInformation"): countries.on_create,
    ("Update", "CountryInformation"): countries.on_update,
    ("Create", "Event"): _create_event,
    ("Update", "Event"): _update_event,
    ("Join", None): events.on_join,
    ("Leave", None): events.on_leave,
}


def handler_for(incoming: Incoming) -> Handler | None:
    """The handler of an activity, or None for types Harbour does not act on."""
    kind = str(incoming.activity.get("type"))
    embedded = incoming.object
    object_type = embedded.get("type") if isinstance(embedded, dict) else None
    if isinstance(object_type, list):  # several types: a listing is a Page and a ServiceListing
        known = [t for t in ("ServiceListing", "CountryInformation") if t in object_type]
        object_type = known[0] if known else None
    if kind == "Delete" and incoming.object_id == incoming.actor.uri:
        return actors.on_delete
    if kind == "Undo" and object_type is None:
        return _undo_by_reference
    found = HANDLERS.get((kind, object_type))
    if found is None and kind in ANY_OBJECT:
        found = HANDLERS.get((kind, None))
    return found


async def _undo_by_reference(incoming: Incoming) -> None:
    """An Undo that names its activity only by id: whichever of ours it was, undo it."""
    for undo in (follows.on_undo, reactions.on_undo):
        await undo(incoming)
