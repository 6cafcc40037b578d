"""Fetching a subscribed trust list from another organisation, through the one transport."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.hostnames import InvalidHost, host_of
from federation.context import Federation
from federation.keys import instance_signer
from federation.transport import FetchError
from moderation.policy import may_federate_with
from moderation.published_lists import ListFormatError, Published, parse

ACCEPT = "application/json, text/csv;q=0.9, text/plain;q=0.8"


class SourceError(Exception):
    """A list could not be had or read; the message is one line."""


async def fetch_list(fed: Federation, session: AsyncSession, url: str) -> Published:
    """The list published at `url` (size-capped, private addresses refused outside
    development), parsed; a host this node refuses to federate with is not asked. The GET
    is signed by this node's instance actor, so a partner that publishes its list only to
    chosen partners can tell who asks."""
    try:
        host = host_of(url)
    except InvalidHost as error:
        raise SourceError(str(error)) from None
    if not await may_federate_with(session, host, fed.policy_mode()):
        raise SourceError(f"{host} is not a host this node federates with")
    try:
        fetched = await fed.transport.get_bytes(url, ACCEPT, await instance_signer(session))
    except FetchError as error:
        raise SourceError(str(error)) from None
    try:
        return parse(fetched.body, fetched.content_type)
    except ListFormatError as error:
        raise SourceError(f"{url}: {error}") from None
