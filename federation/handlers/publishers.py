"""Who may publish into this node's directory, country pages and calendar: an organisation
(an `Organization` actor) that a local account follows, with a follow it has accepted; and
`admit`, the checks a mirrored object's copy passes on arrival."""

from __future__ import annotations

from typing import Any

from activitypub import ActorType
from content import relationships
from content.relationships import FollowState
from federation.handlers.incoming import Incoming, NotYet
from federation.listing_wire import owned_by


async def may_publish(incoming: Incoming) -> bool:
    """Whether the activity's actor may add a listing or a country page here. While a local
    follow of the organisation is still pending this raises `NotYet`: the origin sends its
    objects with its Accept, and they may overtake it, so they wait (unseen) for the Accept."""
    actor = incoming.actor
    if actor.is_local or actor.actor_type != ActorType.ORGANIZATION:
        incoming.drop("only organisations publish listings, country pages and events")
        return False
    state = await relationships.follow_state_from_here(incoming.session, actor)
    if state == FollowState.PENDING:
        raise NotYet(f"waiting for {actor.uri} to accept a follow from here")
    if state != FollowState.ACCEPTED:
        incoming.drop("no one here follows the organisation")
        return False
    return True


async def admit(
    incoming: Incoming,
    document: dict[str, Any],
    existing_owner: int | None,
    *,
    replaces: bool,
) -> bool | None:
    """The one gate every mirrored object (listing, event) passes before its copy is made
    or changed: the actor's own object, on its host; a copy we hold changed only by its
    origin's Update (deliveries overtake each other, and a late Create must not take a copy
    back to its first version); a new copy only from an organisation followed from here; a
    proof, when it carries one, that holds. Whether it came proven, or None when dropped
    (or waiting, `NotYet`, raised)."""
    actor = incoming.actor
    if not owned_by(document, actor):
        incoming.drop("not the actor's own object")
        return None
    if existing_owner is not None and (existing_owner != actor.id or not replaces):
        incoming.drop("a copy exists; only its origin's Update changes it")
        return None
    if existing_owner is None and not await may_publish(incoming):
        return None
    return await incoming.proven(document)
