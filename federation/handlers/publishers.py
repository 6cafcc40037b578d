"""Who may publish into this node's directory and country pages: an organisation (an
`Organization` actor) that a local account follows, with a follow it has accepted."""

from __future__ import annotations

from activitypub import ActorType
from content import relationships
from content.relationships import FollowState
from federation.handlers.incoming import Incoming, NotYet


async def may_publish(incoming: Incoming) -> bool:
    """Whether the activity's actor may add a listing or a country page here. While a local
    follow of the organisation is still pending this raises `NotYet`: the origin sends its
    objects with its Accept, and they may overtake it, so they wait (unseen) for the Accept."""
    actor = incoming.actor
    if actor.is_local or actor.actor_type != ActorType.ORGANIZATION:
        incoming.drop("only organisations publish listings and country pages")
        return False
    state = await relationships.follow_state_from_here(incoming.session, actor)
    if state == FollowState.PENDING:
        raise NotYet(f"waiting for {actor.uri} to accept a follow from here")
    if state != FollowState.ACCEPTED:
        incoming.drop("no one here follows the organisation")
        return False
    return True
