"""Votes on polls kept here: a Create of a Note naming an option and replying to a Question."""

from __future__ import annotations

from federation import poll_outbox
from federation.handlers.incoming import Incoming


async def on_create(incoming: Incoming) -> bool:
    """Count a remote vote on a local poll (or say why not); False if the note is no vote,
    to be taken as an ordinary note."""
    note = incoming.object
    if not isinstance(note, dict) or note.get("attributedTo") != incoming.actor.uri:
        return False
    outcome = await poll_outbox.take_vote(incoming.fed, incoming.session, note, incoming.actor)
    if outcome is None:
        return False
    if outcome != "counted":
        incoming.drop(outcome)
    return True
