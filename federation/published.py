"""What an organisation publishes for others to mirror (listings, country pages, events),
named once: a new follower on another server gets every kind, so adding a kind here is the
whole of sending it to new followers. Each kind's outbox writes its Create, Update and
Delete through `object_outbox`; `content.mirrors` keeps and drops the copies of all kinds
alike, and `handlers.publishers.admit` is the one gate a copy passes on arrival."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from federation import country_outbox, event_outbox, listing_outbox
from federation.context import Federation

KINDS = (listing_outbox, country_outbox, event_outbox)


async def send_existing(
    fed: Federation, session: AsyncSession, organisation: Account, follower: Account
) -> None:
    """A Create of everything the organisation publishes, to one new remote follower."""
    for kind in KINDS:
        await kind.send_existing(fed, session, organisation, follower)
