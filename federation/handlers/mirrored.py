"""The shell every mirrored object kind (a listing, an event) shares: Create, Update and
Delete from its origin, the kind checked and `publishers.admit` passed before the kind's
own checks and save. Country pages, kept per language version, have their own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from federation.handlers.incoming import Incoming
from federation.handlers.publishers import admit


class Copy(Protocol):
    """A mirrored copy: who published it."""

    account_id: int


C = TypeVar("C", bound=Copy)


@dataclass(frozen=True)
class Mirrored(Generic[C]):
    """One kind of mirrored object: `save(incoming, document, existing, proven)` checks
    the admitted document by the kind's own rules and saves the copy (or drops it)."""

    noun: str
    is_kind: Callable[[Any], bool]
    get_by_uri: Callable[[AsyncSession, str], Awaitable[C | None]]
    remove: Callable[[AsyncSession, C], Awaitable[None]]
    save: Callable[[Incoming, Any, C | None, bool], Awaitable[None]]

    async def on_create(self, incoming: Incoming) -> None:
        """Mirror an object of an organisation someone here follows (fetched from its
        origin when given by id)."""
        await self._store(incoming, await incoming.object_document(), replaces=False)

    async def on_update(self, incoming: Incoming) -> None:
        """The origin changed the object: our copy follows (or is made, if it was missed)."""
        await self._store(incoming, incoming.object, replaces=True)

    async def on_delete(self, incoming: Incoming) -> None:
        """The origin deleted the object: our copy goes too."""
        copy = await self.get_by_uri(incoming.session, incoming.object_id or "")
        if copy is not None and copy.account_id == incoming.actor.id:
            await self.remove(incoming.session, copy)

    async def _store(self, incoming: Incoming, document: Any, *, replaces: bool) -> None:
        """Deliveries can overtake each other: a Create that arrives after an Update (which
        made the copy) must not take the copy back to the first version, so only an Update
        (`replaces`) changes a copy we have (`admit`)."""
        if not self.is_kind(document):
            incoming.drop(f"not {self.noun}")
            return
        existing = await self.get_by_uri(incoming.session, str(document.get("id")))
        owner = existing.account_id if existing is not None else None
        if (proven := await admit(incoming, document, owner, replaces=replaces)) is None:
            return
        await self.save(incoming, document, existing, proven)
