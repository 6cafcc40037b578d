"""Staff publish, edit and delete their organisation's events: each change is written and
its Create, Update or Delete queued to the organisation's followers in the caller's
transaction (the caller commits and calls `fed.notify()`), through `object_outbox` as
listings and country pages are."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import AS_CONTEXT
from content import events
from content.accounts import Account
from content.event_fields import EventFields
from content.events import Event
from content.orm import new_id
from federation import addressing, delivery, event_wire, object_outbox
from federation.context import Federation


async def publish(
    fed: Federation, session: AsyncSession, organisation: Account, values: EventFields
) -> Event:
    """A new event of the organisation, from validated values, sent to its followers."""
    event = await events.save(session, organisation, values, base_url=fed.base_url)
    await _send(fed, session, organisation, "Create", event)
    return event


async def update(
    fed: Federation,
    session: AsyncSession,
    organisation: Account,
    event: Event,
    values: EventFields,
) -> Event:
    """New values for one of the organisation's events, sent to its followers."""
    await events.save(session, organisation, values, event=event)
    await _send(fed, session, organisation, "Update", event)
    return event


async def delete(
    fed: Federation, session: AsyncSession, organisation: Account, event: Event
) -> None:
    """Delete (cancel) one of the organisation's events here and at its followers."""
    tombstone = {"id": event.uri, "type": "Tombstone"}
    await events.remove(session, event)
    await object_outbox.to_followers(
        fed, session, organisation, "Delete", tombstone, event_wire.CONTEXT
    )


async def send_existing(
    fed: Federation, session: AsyncSession, organisation: Account, follower: Account
) -> None:
    """A new follower on another server gets a Create of each event not yet over."""
    documents = [
        event_wire.document(event, organisation)
        for event in await events.of_account(session, organisation)
    ]
    await object_outbox.to_follower(
        fed, session, organisation, follower, documents, event_wire.CONTEXT
    )


async def _send(
    fed: Federation, session: AsyncSession, organisation: Account, kind: str, event: Event
) -> None:
    await object_outbox.to_followers(
        fed, session, organisation, kind, event_wire.document(event, organisation),
        event_wire.CONTEXT,
    )  # fmt: skip


async def going(
    fed: Federation, session: AsyncSession, member: Account, event: Event, origin: Account
) -> None:
    """The member says she is going: recorded here, and for an event of another server a
    `Join` to the organiser alone (Mobilizon's participation), who keeps the list."""
    if not await events.attend(session, event, member):
        return
    await _tell(fed, session, member, origin, "Join", event)


async def not_going(
    fed: Federation, session: AsyncSession, member: Account, event: Event, origin: Account
) -> None:
    """The member takes it back: a `Leave` to the organiser."""
    if not await events.leave(session, event, member):
        return
    await _tell(fed, session, member, origin, "Leave", event)


async def _tell(
    fed: Federation,
    session: AsyncSession,
    member: Account,
    origin: Account,
    kind: str,
    event: Event,
) -> None:
    if origin.is_local:
        return
    activity = {
        "@context": AS_CONTEXT,
        "id": f"{member.uri}#{kind.lower()}s/{new_id()}",
        "type": kind,
        "actor": member.uri,
        "object": event.uri,
        "to": [origin.uri],
    }
    inboxes = await addressing.for_account(fed, session, origin)
    await delivery.enqueue(session, activity, member.id, inboxes)
