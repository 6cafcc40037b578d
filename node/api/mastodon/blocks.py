"""Blocks and mutes of accounts: act, and list who is blocked or muted."""

from __future__ import annotations

from datetime import timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content.paging import parse_count
from federation import outbox
from moderation import account_blocks, mutes
from node.api.mastodon import entities, records
from node.api.mastodon.accounts import act_on_account
from node.api.mastodon.lists import accounts_response
from node.api.mastodon.paging import window_of
from node.api.mastodon.requests import read_params, user_of
from node.database import session_scope
from node.state import services

MAX_MUTE_SECONDS = 10 * 365 * 24 * 3600


async def block(request: Request) -> Response:
    """POST /api/v1/accounts/:id/block: follows end both ways and the server is told."""
    return await act_on_account(request, "write:blocks", outbox.block)


async def unblock(request: Request) -> Response:
    """POST /api/v1/accounts/:id/unblock."""
    return await act_on_account(request, "write:blocks", outbox.unblock)


async def mute(request: Request) -> Response:
    """POST /api/v1/accounts/:id/mute (notifications, duration in seconds; 0 is forever).
    Mutes stay on this node: the muted account is never told."""
    viewer = await user_of(request, "write:mutes")
    params = await read_params(request)
    notifications = str(params.get("notifications", "true")).lower() not in ("false", "0")
    raw = str(params.get("duration") or "0")
    if not (raw.isascii() and raw.isdigit()):
        raise HTTPException(422, "Validation failed: duration must be a number of seconds")
    seconds = parse_count(raw, 0, MAX_MUTE_SECONDS)
    async with session_scope(services(request).sessions) as session:
        target = await records.account(session, request.path_params["id"])
        try:
            await mutes.mute(
                session,
                viewer,
                target,
                notifications=notifications,
                duration=timedelta(seconds=seconds) if seconds else None,
            )
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        return JSONResponse(await entities.relationship(session, viewer, target))


async def unmute(request: Request) -> Response:
    """POST /api/v1/accounts/:id/unmute."""
    viewer = await user_of(request, "write:mutes")
    async with session_scope(services(request).sessions) as session:
        target = await records.account(session, request.path_params["id"])
        await mutes.unmute(session, viewer, target)
        return JSONResponse(await entities.relationship(session, viewer, target))


async def blocked(request: Request) -> Response:
    """GET /api/v1/blocks: the accounts the viewer blocks, paged by block."""
    viewer = await user_of(request, "read:blocks")
    async with services(request).sessions() as session:
        rows = await account_blocks.page(session, viewer, window_of(request))
        return await accounts_response(request, session, rows)


async def muted(request: Request) -> Response:
    """GET /api/v1/mutes: the accounts the viewer mutes, paged by mute."""
    viewer = await user_of(request, "read:mutes")
    async with services(request).sessions() as session:
        rows = await mutes.page(session, viewer, window_of(request))
        return await accounts_response(request, session, rows)


routes = [
    Route("/api/v1/accounts/{id}/block", block, methods=["POST"]),
    Route("/api/v1/accounts/{id}/unblock", unblock, methods=["POST"]),
    Route("/api/v1/accounts/{id}/mute", mute, methods=["POST"]),
    Route("/api/v1/accounts/{id}/unmute", unmute, methods=["POST"]),
    Route("/api/v1/blocks", blocked),
    Route("/api/v1/mutes", muted),
]
