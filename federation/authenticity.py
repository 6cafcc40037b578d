"""Is an inbound request really from the actor it names? Signature, key owner and origin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import InvalidDocument, SignatureError, check_public_pem, id_of, message_signatures
from activitypub.hostnames import InvalidHost, canonical_host, check_canonical, host_of
from activitypub.message_signatures import is_message_signature, signing_key_id
from activitypub.signatures import RequestParts, verify
from content import accounts
from content.accounts import Account
from content.interface_text import N_
from federation.context import Federation
from federation.keys import RemoteKey
from federation.resolve import ResolveError, fetch_actor
from moderation.domain_names import site_of
from moderation.rate_limits import Action, RateLimited

KEY_WAIT_STEPS = 20  # 2 s for a concurrent fetch of the same key
UNUSABLE_KEY = (
    "the signing key cannot be had from its actor, or is not usable here "
    "(RSA keys of 2,048 to 8,192 bits with exponent 65537 are)"
)


class NotAuthentic(Exception):
    """The request cannot be attributed to its actor; `status` is 401 or 403."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


async def key_for(
    fed: Federation, session: AsyncSession, key_id: str, *, refresh: bool = False
) -> RemoteKey:
    """The remote public key `key_id`: from memory, the database, or fetched from its actor;
    `refresh` fetches anew (the key may have been rotated). Raises ResolveError, or
    RateLimited when the key's host has had too many keys fetched."""
    if not refresh and (cached := fed.keys.get(key_id)) is not None:
        return cached
    account = None if refresh else await accounts.get_remote_by_key_id(session, key_id)
    if account is None:
        try:
            await _may_fetch(fed, key_id)
        except ResolveError:
            account = await _fetched_meanwhile(session, key_id)
            if account is None:
                raise
        else:
            account = await fetch_actor(
                fed, session, key_id.split("#", 1)[0], expected_key_id=key_id
            )
            await fed.limits.give_back(Action.KEY, key_id)  # only a failure is remembered
    try:
        check_public_pem(account.public_key_pem)  # also one stored before sizes were checked
    except InvalidDocument:
        raise ResolveError(N_("the key is not usable here")) from None
    key = RemoteKey(account.id, account.uri, account.domain or "", account.public_key_pem)
    fed.keys.put(key_id, key)
    return key


async def _fetched_meanwhile(session: AsyncSession, key_id: str) -> Account | None:
    """The actor of a key another request is fetching right now, once that request has
    stored it: a server often delivers several activities at once to a node that does not
    know it yet, and only one of them fetches the key."""
    for _ in range(KEY_WAIT_STEPS):
        await asyncio.sleep(0.1)
        if (account := await accounts.get_remote_by_key_id(session, key_id)) is not None:
            return account
    return None


async def _may_fetch(fed: Federation, key_id: str) -> None:
    """Junk requests must not make this node fetch without limit: keys are fetched at most
    KEY_HOST at a time for each registrable domain, whatever its sub-domains (RateLimited:
    the sender is told to wait), and a keyId whose fetch failed is not fetched again for a
    minute (ResolveError)."""
    site = site_of(host_of(key_id))  # sub-domains of one domain share its limit
    await fed.limits.take(Action.KEY_HOST, site)
    try:
        await fed.limits.take(Action.KEY, key_id)
    except RateLimited:
        await fed.limits.give_back(Action.KEY_HOST, site)
        raise ResolveError(N_("fetched a moment ago; try again in a minute")) from None


async def signed_by(
    fed: Federation, session: Callable[[], AsyncSession], parts: RequestParts
) -> RemoteKey:
    """The remote key whose valid signature the request carries, or NotAuthentic (whose
    message never says what a fetch got: that would make the node an oracle). The request
    must be made for this node (its signed `Host` is ours; an RFC 9421 signature is checked
    against this node's own origin as `@target-uri`), so a request signed for another server
    cannot be replayed here. Either kind of signature is accepted: RFC 9421 when the request
    carries `Signature-Input`, else draft-cavage. `session()` gives the database session,
    asked for only when the key is not in memory (the inbox opens it then)."""
    if not _made_for(parts, fed.domain):
        raise NotAuthentic("the request is signed for another host")
    rfc9421 = is_message_signature(parts)
    if rfc9421 and not fed.accepts_rfc9421:
        raise NotAuthentic("this node accepts only draft-cavage HTTP signatures")
    try:
        key_id = signing_key_id(parts)
        check_canonical(key_id)
    except SignatureError as error:
        raise NotAuthentic(str(error)) from None
    except InvalidHost as error:
        raise NotAuthentic(f"the keyId is not usable: {error}", status=400) from None
    for refresh in (False, True):
        try:
            key = (None if refresh else fed.keys.get(key_id)) or await key_for(
                fed, session(), key_id, refresh=refresh
            )
        except ResolveError:
            if refresh:
                break  # fetched a moment ago, or gone: the signature failure stands
            raise NotAuthentic(UNUSABLE_KEY) from None
        try:
            if rfc9421:
                message_signatures.verify(parts, fed.origin + parts.path, key.pem)
            else:
                verify(parts, key.pem)
            return key
        except SignatureError as error:
            failure = error
    raise NotAuthentic(str(failure))


def _made_for(parts: RequestParts, domain: str) -> bool:
    host = parts.header("host") or ""
    if host == domain:  # as nodes send it: no need to spell it canonically first
        return True
    try:
        return canonical_host(host) == domain
    except InvalidHost:
        return False


def check_origin(activity: dict[str, Any], key: RemoteKey, hosts: tuple[str, str]) -> None:
    """The activity must be the signer's own: its actor is the signer, and its id is on the
    signer's host. `hosts` are the canonical hosts of the activity's actor and id, as the
    inbox read them (`check_canonical`): not parsed again."""
    if id_of(activity.get("actor")) != key.actor_uri:
        raise NotAuthentic("the key's owner is not the activity's actor")
    actor_host, id_host = hosts
    if id_host != actor_host:
        raise NotAuthentic("the activity id is not on its actor's host", status=403)
