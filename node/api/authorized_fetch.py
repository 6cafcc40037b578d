"""Authorized fetch: in this mode ActivityPub GETs must be signed by a server we federate with.

People reading HTML pages are not affected, and the instance actor, WebFinger and NodeInfo
stay open (other servers need them to find the keys they sign with).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from activitypub.hostnames import host_of
from federation.authenticity import NotAuthentic, signed_by
from moderation.policy import may_federate_with
from node.api.signed import request_parts
from node.state import services


async def require_signed_fetch(request: Request) -> None:
    """Raise 401 or 403 unless authorized fetch is off (and the node not in lockdown) or the
    GET is validly signed, for this node's host, by an actor on a host this node federates
    with."""
    node = services(request)
    if node.settings.authorized_fetch:
        await signed_reader(request)
        return
    async with node.sessions() as session:  # a lockdown turned in another process holds now
        await node.federation.mode_now(session)
    if node.federation.lockdown:
        await signed_reader(request)


async def signed_reader(request: Request) -> str:
    """The id of the actor that validly signed this GET, for this node's host, on a host
    this node federates with; 401 or 403 otherwise (whatever the authorized-fetch setting)."""
    parts = request_parts(request)
    fed = services(request).federation
    async with fed.sessions() as session:
        try:
            key = await signed_by(fed, lambda: session, parts)
        except NotAuthentic as error:
            await session.commit()  # keep a key fetched on the way
            raise HTTPException(401, f"this node requires signed fetches: {error}") from None
        await session.commit()
        mode = await fed.mode_now(session)
        if not await may_federate_with(session, host_of(key.actor_uri), mode):
            raise HTTPException(403, "this node does not federate with your server")
    return key.actor_uri
