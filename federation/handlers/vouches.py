"""Add of a co-verification to one of this node's listings or country pages: kept, if a
partner organisation made it and its proof verifies, and the object sent again to its
followers, carrying it."""

from __future__ import annotations

from activitypub import id_of
from content.accounts import Account
from federation import vouch_wire, vouches
from federation.handlers.incoming import Incoming
from moderation import policy


async def on_add(incoming: Incoming) -> None:
    """A partner organisation says it checked one of our organisation's objects too."""
    session, actor = incoming.session, incoming.actor
    subject = await vouches.by_uri(session, id_of(incoming.activity.get("target")) or "")
    owner = await session.get(Account, subject.owner_id) if subject is not None else None
    if subject is None or owner is None or not owner.is_local:
        incoming.drop("it adds to no listing or country page published here")
        return
    if not await policy.in_trusted_circle(session, actor.domain or ""):
        incoming.drop("co-verifications are taken from partners on the allowlist only")
        return
    statement = incoming.object
    maker = await vouches.proven_statement(incoming.fed, session, statement, subject.uri, owner)
    if maker is None or maker.id != actor.id:
        incoming.drop("not a current co-verification proven by the organisation that sends it")
        return
    assert isinstance(statement, dict)
    kept = subject.statements
    if statement in kept:
        return  # sent again: nothing to send anyone
    subject.keep(vouch_wire.with_statement(kept, statement))
    await subject.send_again(incoming.fed, session, owner)
