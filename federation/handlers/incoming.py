"""What a handler is given: the verified activity, its actor, and a session to change things."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import id_of
from content.accounts import Account
from federation.context import Federation
from federation.resolve import ResolveError, TryLater, fetch_object


class NotYet(Exception):
    """The activity can be applied only once another one has arrived (an organisation's
    listing before its Accept of our follow): the worker holds it back, quietly, until then."""


@dataclass
class Incoming:
    """A verified inbound activity being applied, in one transaction."""

    fed: Federation
    session: AsyncSession
    actor: Account
    activity: dict[str, Any]
    dropped: str | None = None

    def drop(self, reason: str) -> None:
        """Record that the activity changes nothing here, and why: the inbox item then
        ends as ignored with this reason."""
        self.dropped = reason

    @property
    def object(self) -> Any:
        """The activity's object: a URI string or an embedded document."""
        return self.activity.get("object")

    @property
    def object_id(self) -> str | None:
        """The id of the activity's object, embedded or not."""
        return id_of(self.object)

    async def object_document(self) -> Any:
        """The activity's object as a document: the embedded one, or fetched from its own
        origin when given by id (None when the origin refuses it). While the origin is down
        `TryLater` propagates, so the worker applies the activity again later."""
        if not isinstance(self.object, str):
            return self.object
        try:
            return await fetch_object(self.fed, self.session, self.object)
        except TryLater:
            raise
        except ResolveError:
            return None
