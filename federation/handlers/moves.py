"""Move: a remote account moved to another one (Mastodon's account migration).

Applied only when the actor moves itself, the target (fetched again from its origin) names
the actor among its `alsoKnownAs`, and someone here follows the actor; then each local
follower follows the target instead. A move is applied at most once a week per account, so
a Move sent again re-follows nobody twice."""

from __future__ import annotations

from activitypub import id_of
from content import moves, relationships
from content.moves import MoveError
from federation.account_moves import carry_followers, fresh_actor
from federation.handlers.incoming import Incoming
from federation.resolve import ResolveError, TryLater


async def on_move(incoming: Incoming) -> None:
    """Carry the local followers of the actor over to the account it moved to."""
    old = incoming.actor
    target = id_of(incoming.activity.get("target"))
    if incoming.object_id != old.uri:
        return incoming.drop("a Move's object must be its own actor")
    if target is None:
        return incoming.drop("a Move must name its target")
    if moves.moved_recently(old):
        return incoming.drop("the account moved less than a week ago")
    if not await relationships.local_followers(incoming.session, old):
        return incoming.drop("nobody here follows the account that moved")
    try:
        new = await fresh_actor(incoming.fed, incoming.session, target)
    except TryLater:
        raise
    except ResolveError as error:
        return incoming.drop(f"its target cannot be had from its origin: {error}")
    try:
        moves.check_move(old, new)
        await moves.record(incoming.session, old, new)
    except MoveError as error:
        return incoming.drop(f"refused: {error}")
    await carry_followers(incoming.fed, incoming.session, old, new)
    return None
