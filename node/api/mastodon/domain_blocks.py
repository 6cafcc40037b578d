"""A member's own domain blocks: GET, POST and DELETE /api/v1/domain_blocks."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content.accounts import Account
from federation import outbox
from moderation import member_domain_blocks
from moderation.domain_names import normalise
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import read_params, user_of
from node.database import session_scope
from node.state import services


async def listed(request: Request) -> Response:
    """GET: the domains the member blocks, as strings, paged by block."""
    viewer = await user_of(request, "read:blocks")
    async with services(request).sessions() as session:
        rows = await member_domain_blocks.page(session, viewer, window_of(request, 100, 200))
    base = services(request).settings.base_url
    return JSONResponse(
        [row.domain for row in rows], headers=link_header(request, base, [r.id for r in rows])
    )


async def add(request: Request) -> Response:
    """POST domain=...: hide the server from the member; its accounts stop following them."""
    viewer = await user_of(request, "write:blocks")
    domain = await _domain(request)
    fed = services(request).federation
    try:
        async with session_scope(services(request).sessions) as session:
            viewer = await session.get(Account, viewer.id) or viewer
            await outbox.block_domain(fed, session, viewer, domain)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    fed.notify()
    return JSONResponse({})


async def remove(request: Request) -> Response:
    """DELETE domain=...: show the server again (its former followers must follow again)."""
    viewer = await user_of(request, "write:blocks")
    domain = await _domain(request)
    async with session_scope(services(request).sessions) as session:
        await member_domain_blocks.remove(session, viewer, domain)
    return JSONResponse({})


async def _domain(request: Request) -> str:
    domain = normalise(str((await read_params(request)).get("domain", "")))
    if not domain:
        raise HTTPException(422, "Validation failed: domain can't be blank")
    if domain == services(request).settings.domain:
        raise HTTPException(422, "Validation failed: you cannot block this server's own domain")
    return domain


routes = [
    Route("/api/v1/domain_blocks", listed, methods=["GET"]),
    Route("/api/v1/domain_blocks", add, methods=["POST"]),
    Route("/api/v1/domain_blocks", remove, methods=["DELETE"]),
]
