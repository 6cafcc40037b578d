"""Create, Update and Delete of an organisation's published objects (listings, country
pages), written to the delivery queue in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import PUBLIC
from content.accounts import Account
from content.orm import new_id
from federation import addressing, delivery
from federation.context import Federation


async def to_followers(
    fed: Federation,
    session: AsyncSession,
    actor: Account,
    kind: str,
    object_: dict[str, Any],
    context: list[Any],
) -> None:
    """Queue `kind` of `object_` by `actor` to every follower's inbox."""
    inboxes = await addressing.for_followers_and(fed, session, actor, ())
    await delivery.enqueue(session, activity(actor, kind, object_, context), actor.id, inboxes)


async def to_follower(
    fed: Federation,
    session: AsyncSession,
    actor: Account,
    follower: Account,
    objects: list[dict[str, Any]],
    context: list[Any],
) -> None:
    """Queue a Create of each of `objects` to one new follower on another server."""
    if follower.is_local or not objects:
        return
    inboxes = await addressing.for_account(fed, session, follower)
    for object_ in objects:
        await delivery.enqueue(
            session, activity(actor, "Create", object_, context), actor.id, inboxes
        )


def activity(
    actor: Account, kind: str, object_: dict[str, Any], context: list[Any]
) -> dict[str, Any]:
    """An activity of `actor` about one of its objects, addressed publicly."""
    return {
        "@context": context,
        "id": f"{actor.uri}#{kind.lower()}s/{new_id()}",
        "type": kind,
        "actor": actor.uri,
        "object": object_,
        "to": [PUBLIC],
        "cc": [actor.followers_uri] if actor.followers_uri else [],
    }
