"""What a handler is given: the verified activity, its actor, and a session to change things."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import SignatureError, id_of
from activitypub.hostnames import same_host
from content.accounts import Account
from federation import proofs
from federation.context import Federation
from federation.resolve import ResolveError, TryLater, fetch_object
from moderation.policy import may_federate_with_uri


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

    async def proven(self, document: dict[str, Any]) -> bool | None:
        """Whether a document of the actor's reached us under the actor's valid FEP-8b32
        proof: its own, or the activity's when it came embedded. None, with the activity
        dropped, when a proof it carries fails: it was altered on the way."""
        try:
            if await proofs.proven_author(self.fed, self.session, document) is not None:
                return True
            embedded = document is self.object
            return (
                embedded
                and await proofs.proven_author(self.fed, self.session, self.activity) is not None
            )
        except SignatureError:
            self.drop("its integrity proof does not verify")
            return None

    async def proven_or_fetched(self, uri: str, document: Any) -> dict[str, Any] | None:
        """The object `uri`: the embedded `document` when it carries its author's fresh,
        valid FEP-8b32 proof (it then stands for itself, whoever relays it), else fetched
        from its origin; None if it cannot be had. Never from a server this node does not
        federate with, however it arrives."""
        if (proven := await self.proven_copy(uri, document)) is not None:
            return proven
        if not await self.federates(uri):
            return None
        try:
            found = await fetch_object(self.fed, self.session, uri)
        except ResolveError:
            return None
        return found if isinstance(found, dict) else None

    async def proven_copy(self, uri: str, document: Any) -> dict[str, Any] | None:
        """The embedded `document` of `uri` if its author's proof holds and was made within
        proofs.RELAYED_PROOF_AGE (an old proof may be of a post its author has since deleted:
        that one is asked of its origin again), on a server this node federates with."""
        if not isinstance(document, dict) or id_of(document) != uri:
            return None
        if not await self.federates(uri):
            return None
        try:
            author = await proofs.proven_author(
                self.fed, self.session, document, max_age=proofs.RELAYED_PROOF_AGE
            )
        except SignatureError:
            return None  # altered on the way: only its origin's copy counts
        return document if author is not None and same_host(uri, author.uri) else None

    async def federates(self, uri: str) -> bool:
        """Whether this node federates with the server `uri` is on."""
        return await may_federate_with_uri(self.session, uri, self.fed.policy_mode())

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
