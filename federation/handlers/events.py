"""Create, Update and Delete of events from organisations followed here (as
`publishers.admit` says, the gate listings pass too): mirrored into this node's calendar,
the description sanitised, only ever changed by their origin (`mirrored.Mirrored`); Join
and Leave of events here."""

from __future__ import annotations

import asyncio
from typing import Any

from content import events
from content.accounts import Account
from content.event_fields import EventError, validate
from federation import event_wire
from federation.handlers.incoming import Incoming
from federation.handlers.mirrored import Mirrored


async def _save(
    incoming: Incoming, document: Any, existing: events.Event | None, proven: bool
) -> None:
    # Sanitising a description is work for a thread, not the event loop.
    values, description_html = await asyncio.to_thread(event_wire.fields_of, document)
    try:
        validate(values)
    except EventError as error:
        incoming.drop(f"invalid event: {error}")
        return
    saved = await events.save(
        incoming.session,
        incoming.actor,
        values,
        event=existing,
        uri=document["id"],
        description_html=description_html,
    )
    saved.origin_proven = proven


EVENTS = Mirrored("an event", event_wire.is_event, events.get_by_uri, events.remove, _save)
on_create, on_update, on_delete = EVENTS.on_create, EVENTS.on_update, EVENTS.on_delete


async def on_join(incoming: Incoming) -> None:
    """A member of another server says she is going to an event of ours: kept for the
    organiser's staff, never shown to anyone else."""
    event = await events.get_by_uri(incoming.session, incoming.object_id or "")
    if event is None or not await _ours(incoming, event):
        incoming.drop("no such event here")
        return
    join_id = incoming.activity.get("id")
    join_uri = join_id if isinstance(join_id, str) else None
    await events.attend(incoming.session, event, incoming.actor, join_uri)


async def on_leave(incoming: Incoming) -> None:
    """She is not going after all."""
    event = await events.get_by_uri(incoming.session, incoming.object_id or "")
    if event is None or not await events.leave(incoming.session, event, incoming.actor):
        incoming.drop("she was not going to an event here")


async def _ours(incoming: Incoming, event: events.Event) -> bool:
    organiser = await incoming.session.get(Account, event.account_id)
    return organiser is not None and organiser.is_local
