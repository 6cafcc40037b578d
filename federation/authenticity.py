"""Is an inbound request really from the actor it names? Signature, key owner and origin."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import SignatureError, id_of
from activitypub.signatures import RequestParts, signature_of, verify
from content import accounts
from content.accounts import Account
from federation.context import Federation
from federation.hosts import host_of
from federation.resolve import ResolveError, fetch_actor


class NotAuthentic(Exception):
    """The request cannot be attributed to its actor; `status` is 401 or 403."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


async def account_for_key(
    fed: Federation, session: AsyncSession, key_id: str, *, refresh: bool = False
) -> Account:
    """The remote account that owns `key_id`: cached, else fetched; `refresh` fetches anew
    (a key may have been rotated)."""
    if not refresh:
        cached = await accounts.get_remote_by_key_id(session, key_id)
        if cached is not None:
            return cached
    return await fetch_actor(fed, session, key_id.split("#", 1)[0], expected_key_id=key_id)


async def signed_by(fed: Federation, session: AsyncSession, parts: RequestParts) -> Account:
    """The remote account whose valid signature the request carries, or NotAuthentic."""
    try:
        key_id = signature_of(parts).key_id
    except SignatureError as error:
        raise NotAuthentic(str(error)) from None
    for refresh in (False, True):
        try:
            account = await account_for_key(fed, session, key_id, refresh=refresh)
        except ResolveError as error:
            raise NotAuthentic(f"the signing key cannot be fetched: {error}") from None
        try:
            verify(parts, account.public_key_pem)
            return account
        except SignatureError as error:
            failure = error
    raise NotAuthentic(str(failure))


def check_origin(activity: dict[str, Any], actor: Account) -> None:
    """The activity must be the signer's own: its actor is the signer, and its id and any
    embedded object of the actor's own making are on the signer's host."""
    if id_of(activity.get("actor")) != actor.uri:
        raise NotAuthentic("the key's owner is not the activity's actor")
    origin = host_of(actor.uri)
    if host_of(str(activity.get("id"))) != origin:
        raise NotAuthentic("the activity id is not on its actor's host", status=403)
