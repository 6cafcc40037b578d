"""Dereferencing remote actors and objects, and caching actors as accounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import InvalidDocument, has_type, parse_acct, parse_actor, self_link
from activitypub.hostnames import InvalidHost, check_canonical, host_of
from content import accounts
from content.accounts import Account
from content.interface_text import N_, Message
from content.orm import utcnow
from federation.context import Federation
from federation.keys import instance_signer
from federation.signature_styles import SigningKey
from federation.transport import FetchError, Unavailable
from moderation import quarantine
from moderation.policy import may_federate_with

ACTOR_TYPES = ("Person", "Group", "Organization", "Application", "Service")
REFRESH_AFTER_SECONDS = 24 * 3600
# Why a remote document cannot be used, as a member is told; the reason stays technical.
UNUSABLE = N_("%(where)s answered with something Harbour cannot use: %(why)s")


class ResolveError(Exception):
    """A remote actor or object could not be had; the message says why."""


class TryLater(ResolveError):
    """The remote server is down, slow or overloaded: asking again later may work."""


async def fetch_document(
    fed: Federation, session: AsyncSession, uri: str, signer: SigningKey | None = None
) -> dict[str, Any]:
    """A remote document, fetched with the instance actor's signature (for authorized fetch),
    or `signer`'s (a member fetching what its group shows members only); its id must be
    written in canonical form, the one the policy is asked about."""
    host = _canonical(uri)
    if not await may_federate_with(session, host, await fed.mode_now(session)):
        raise ResolveError(_not_federating(host))
    try:
        return await fed.transport.get_document(uri, signer or await instance_signer(session))
    except Unavailable as error:
        raise TryLater(str(error)) from None
    except FetchError as error:
        raise ResolveError(Message(UNUSABLE, where=uri, why=str(error))) from None


async def fetch_object(
    fed: Federation, session: AsyncSession, uri: str, signer: SigningKey | None = None
) -> dict[str, Any]:
    """A remote object fetched by id; it must claim an id on the host it came from, so a
    server cannot hand us a document pretending to be another server's."""
    document = await fetch_document(fed, session, uri, signer)
    claimed = document.get("id")
    if not isinstance(claimed, str) or _canonical(claimed) != host_of(uri):
        raise ResolveError(Message(UNUSABLE, where=uri, why="an id of another host"))
    return document


async def fetch_actor(
    fed: Federation, session: AsyncSession, uri: str, *, expected_key_id: str | None = None
) -> Account:
    """Fetch an actor (or the owner of a key document) and store it as a remote account;
    not from a new host of a domain that has had too many met (`quarantine.may_meet`)."""
    if not await quarantine.may_meet(session, _canonical(uri)):
        raise ResolveError(Message(UNUSABLE, where=uri, why="too many servers of its domain"))
    document = await fetch_document(fed, session, uri)
    if not has_type(document, *ACTOR_TYPES) and isinstance(document.get("owner"), str):
        document = await fetch_document(fed, session, document["owner"])
    try:
        actor = parse_actor(document)
    except InvalidDocument as error:
        raise ResolveError(Message(UNUSABLE, where=uri, why=str(error))) from None
    host = _canonical(actor.id)
    if host != host_of(uri):
        raise ResolveError(Message(UNUSABLE, where=uri, why="an actor of another host"))
    if expected_key_id is not None and actor.public_key.id != expected_key_id:
        raise ResolveError(Message(UNUSABLE, where=actor.id, why=f"no key {expected_key_id}"))
    if fed.is_local(actor.id):
        raise ResolveError(Message(UNUSABLE, where=uri, why="claims to be a local actor"))
    await quarantine.meet(session, host, fed.days_of_quarantine())
    return await accounts.upsert_remote(session, actor, host)


async def actor_by_uri(fed: Federation, session: AsyncSession, uri: str) -> Account:
    """An actor by id: local, cached (refreshed daily), or fetched now."""
    found = await accounts.get_by_uri(session, uri)
    if found is not None and (found.is_local or not _stale(found)):
        return found
    try:
        return await fetch_actor(fed, session, uri)
    except ResolveError:
        if found is not None:
            return found  # the cached copy is better than nothing while its server is down
        raise


async def actor_by_handle(fed: Federation, session: AsyncSession, handle: str) -> Account:
    """An account by `user@host` (or `@user@host`), through WebFinger for remote ones."""
    try:
        acct = parse_acct(handle)
    except InvalidDocument:
        wanted = N_("“%(handle)s” is not an address such as @name@server.example")
        raise ResolveError(Message(wanted, handle=handle[:100])) from None
    if acct.host == fed.domain:
        local = await accounts.get_local(session, acct.user)
        if local is None:
            raise ResolveError(Message(N_("there is no account @%(user)s here"), user=acct.user))
        return local
    cached = await accounts.get_remote_by_handle(session, acct.user, acct.host)
    if cached is not None and not _stale(cached):
        return cached
    if not await may_federate_with(session, acct.host, fed.policy_mode()):
        raise ResolveError(_not_federating(acct.host))
    failure: Exception | None = None
    for scheme in _webfinger_schemes(fed):
        url = f"{scheme}://{acct.host}/.well-known/webfinger?resource={quote(str(acct))}"
        try:
            uri = self_link(await fed.transport.get_json(url))
        except (FetchError, InvalidDocument) as error:
            failure = error
            continue
        return await fetch_actor(fed, session, uri)
    raise ResolveError(
        Message(
            N_("cannot find @%(user)s@%(host)s: %(why)s"),
            user=acct.user,
            host=acct.host,
            why=str(failure),
        )
    )


def _webfinger_schemes(fed: Federation) -> tuple[str, ...]:
    """How a handle's server is asked: https; in development, plain http (loopback
    peers), after https when a CA bundle is configured for https peers on loopback."""
    policy = fed.transport.policy
    if not policy.allow_http:
        return ("https",)
    return ("https", "http") if policy.ca_bundle else ("http",)


def _canonical(uri: str) -> str:
    try:
        return check_canonical(uri)
    except InvalidHost as error:
        raise ResolveError(Message(UNUSABLE, where=uri[:200], why=str(error))) from None


def _not_federating(host: str) -> Message:
    return Message(N_("%(host)s is not a server this node federates with"), host=host)


def _stale(account: Account) -> bool:
    fetched = account.fetched_at
    return fetched is None or (utcnow() - fetched).total_seconds() > REFRESH_AFTER_SECONDS
