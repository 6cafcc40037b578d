"""GET /media/proxy/{kind}/{id}/{digest}: a remote attachment, avatar or header, served by
this node (federation/media_proxy.py fetches and caches it).

The path names a row this node stored from a remote object it accepted, never a URL: the
digest must match the URL the row holds now. A file that cannot be served is a 404, and an
avatar or header a redirect to the node's own default picture, so pages keep working."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from activitypub import web_url
from content.accounts import Account
from content.media import MediaAttachment, proxy_path
from content.paging import parse_id
from federation.media_proxy import Refused, may_fetch
from node.state import services

DEFAULTS = {"avatar": "/static/avatar.png", "header": "/static/header.png"}


async def serve(request: Request) -> Response:
    """The remote file, from the node's cache or fetched now."""
    kind = request.path_params["kind"]
    row_id = parse_id(request.path_params["id"])
    if kind not in ("media", *DEFAULTS) or row_id is None:
        raise HTTPException(404, "there is no such file")
    node = services(request)
    async with node.sessions() as session:
        url = await _stored_url(session, kind, row_id)
        mode = await node.federation.mode_now(session)  # lockdown as the database says now
        allowed = (
            url is not None
            and not node.federation.lockdown  # no remote media during a lockdown
            and await may_fetch(session, url, mode)
        )
    if url is None or proxy_path(kind, row_id, url) != request.url.path:
        raise HTTPException(404, "there is no such file")
    try:
        if not allowed:
            raise Refused("this server's media are not fetched")
        cached = await node.media_proxy.get(url)
    except Refused:
        if kind in DEFAULTS:
            return RedirectResponse(DEFAULTS[kind], status_code=302)
        raise HTTPException(404, "this file is not available") from None
    return FileResponse(
        cached.path,
        media_type=cached.media_type,
        headers={
            # The path changes when the remote file does.
            "Cache-Control": "public, max-age=86400",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


async def _stored_url(session: AsyncSession, kind: str, row_id: int) -> str | None:
    """The remote URL the node stored for this row: a remote attachment's, or a remote
    account's avatar or header."""
    if kind == "media":
        attachment = await session.get(MediaAttachment, row_id)
        if attachment is None or attachment.file_name is not None:
            return None
        return web_url(attachment.remote_url)
    account = await session.get(Account, row_id)
    if account is None or account.is_local:
        return None
    return web_url(account.avatar_url if kind == "avatar" else account.header_url)


routes = [Route("/media/proxy/{kind}/{id}/{digest}", serve, methods=["GET", "HEAD"])]
