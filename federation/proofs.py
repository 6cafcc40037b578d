"""FEP-8b32 integrity proofs on what this node publishes, and checked on what it receives.

Everything a local account publishes (activities as delivered, notes, listings and country
pages as fetched) carries its author's eddsa-jcs-2022 proof; an embedded object of the same
author's making carries its own, so it vouches for itself when a group or a server forwards
it. A received document's proof counts only when made with the key its author's actor
document publishes (FEP-521a `assertionMethod`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import id_of, integrity
from activitypub.errors import SignatureError
from activitypub.hostnames import InvalidHost, host_of
from activitypub.jsonld import first_actor
from content import accounts
from content.accounts import Account
from content.orm import utcnow
from federation.context import Federation
from federation.resolve import ResolveError, fetch_actor
from moderation.domain_names import site_of
from moderation.rate_limits import Action, RateLimited

REFETCH_AFTER = timedelta(minutes=1)
# A proof stands for a document another server relays or forwards only this long after it
# was made: an older one may be of a post its author has deleted since.
RELAYED_PROOF_AGE = timedelta(days=1)


def prove(document: dict[str, Any], account: Account) -> dict[str, Any]:
    """`document` with `account`'s proof, when the account is local and the document its own
    (its `actor` or `attributedTo`); otherwise `document` unchanged."""
    if account.ed25519_secret is None or account.assertion_key_id is None:
        return document
    if author_of(document) != account.uri:
        return document
    context = _with_integrity(document.get("@context"))
    embedded = document.get("object")
    if isinstance(embedded, dict) and author_of(embedded) == account.uri:
        # As FEP-8b32's "signed activity with embedded signed object": its own @context.
        embedded = prove({"@context": context, **embedded}, account)
        document = {**document, "object": embedded}
    return integrity.sign(
        {**document, "@context": context},
        key_id=account.assertion_key_id,
        secret=account.ed25519_secret,
    )


def author_of(document: dict[str, Any]) -> str | None:
    """Whose document it is: an activity's actor, an object's (first) attributedTo."""
    if "actor" in document:
        return id_of(document.get("actor"))
    return first_actor(document.get("attributedTo"))


async def proven_author(
    fed: Federation,
    session: AsyncSession,
    document: dict[str, Any],
    *,
    max_age: timedelta | None = None,
) -> Account | None:
    """The author whose valid proof `document` carries, or None if it carries no proof,
    its author publishes no key to check it with, or (given `max_age`) the proof is older:
    then it counts as unproven. A proof that names a key not its author's, or that does not
    verify, raises SignatureError: such a document was altered or is not its author's. The
    check runs in a thread: canonicalising a large document is CPU work."""
    method = integrity.verification_method(document)
    if method is None or (max_age is not None and not _fresh(document, max_age)):
        return None
    author_uri = author_of(document)
    if author_uri is None or method.split("#")[0] != author_uri:
        raise SignatureError("the proof is not made with its author's key")
    author = await _author(fed, session, author_uri, method)
    if author is None or author.assertion_key is None:
        return None
    if author.assertion_key_id != method:
        raise SignatureError("the proof is not made with its author's published key")
    await asyncio.to_thread(integrity.verify, document, author.assertion_key)
    return author


def _fresh(document: dict[str, Any], max_age: timedelta) -> bool:
    proof = integrity.proof_of(document) or {}
    try:
        created = datetime.fromisoformat(str(proof.get("created", "")).replace("Z", "+00:00"))
    except ValueError:
        return False
    return created.tzinfo is not None and utcnow() - created <= max_age


async def _author(fed: Federation, session: AsyncSession, uri: str, method: str) -> Account | None:
    """The author's account: as stored, unless it is unknown or its stored key is not the one
    named (a new key, or an actor stored before it published one) and it was not fetched in
    the last minute; then fetched, as often as keys are (`Action.KEY_HOST` per host)."""
    author = await accounts.get_by_uri(session, uri)
    if author is not None and (author.is_local or author.assertion_key_id == method):
        return author
    fetched = author.fetched_at if author is not None else None
    if fetched is not None and utcnow() - fetched < REFETCH_AFTER:
        return author
    try:
        await fed.limits.take(Action.KEY_HOST, site_of(host_of(uri)))
        return await fetch_actor(fed, session, uri)
    except (RateLimited, ResolveError, InvalidHost):
        return author


def _with_integrity(context: Any) -> list[Any]:
    """The @context with the Data Integrity context, which defines `proof`."""
    contexts = list(context) if isinstance(context, list) else [context] if context else []
    if integrity.DATA_INTEGRITY_CONTEXT not in contexts:
        contexts.append(integrity.DATA_INTEGRITY_CONTEXT)
    return contexts
