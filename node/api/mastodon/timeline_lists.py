"""Mastodon's lists: a member's lists of accounts she follows (`/api/v1/lists`), their
members, and which of her lists an account is on. The list timeline is in `timelines`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import timeline_lists
from content.accounts import Account
from content.paging import Window, parse_id
from content.timeline_lists import ListError, TimelineList
from node.api.mastodon import records
from node.api.mastodon.lists import accounts_response
from node.api.mastodon.paging import window_of
from node.api.mastodon.requests import path_id, read_params, user_of
from node.database import session_scope
from node.state import services

TRUE = ("true", "1")


def entity(found: TimelineList) -> dict[str, Any]:
    """The List entity."""
    return {
        "id": str(found.id),
        "title": found.title,
        "replies_policy": found.replies_policy,
        "exclusive": found.exclusive,
    }


async def owned(session: AsyncSession, request: Request, owner: Account) -> TimelineList:
    """The list the path names if the owner made it; 404 for anyone else, as Mastodon."""
    found = await timeline_lists.owned(session, owner, path_id(request))
    if found is None:
        raise HTTPException(404, "Record not found")
    return found


async def index(request: Request) -> Response:
    """GET /api/v1/lists: the member's lists; POST: a new one (title, replies_policy,
    exclusive)."""
    if request.method == "GET":
        viewer = await user_of(request, "read:lists")
        async with services(request).sessions() as session:
            return JSONResponse([entity(f) for f in await timeline_lists.of_owner(session, viewer)])
    viewer = await user_of(request, "write:lists")
    params = await read_params(request)
    async with session_scope(services(request).sessions) as session:
        with _refused():
            found = await timeline_lists.create(session, viewer, str(params.get("title", "")))
            _apply(found, params)
        return JSONResponse(entity(found))


async def one(request: Request) -> Response:
    """GET, PUT and DELETE /api/v1/lists/:id."""
    write = request.method != "GET"
    viewer = await user_of(request, "write:lists" if write else "read:lists")
    params = await read_params(request)
    async with session_scope(services(request).sessions) as session:
        found = await owned(session, request, viewer)
        if request.method == "DELETE":
            await timeline_lists.delete_list(session, found)
        elif request.method == "PUT":
            with _refused():
                _apply(found, params)
        return JSONResponse({} if request.method == "DELETE" else entity(found))


async def members(request: Request) -> Response:
    """GET /api/v1/lists/:id/accounts (paged; limit=0 for all); POST and DELETE with
    account_ids[]."""
    write = request.method != "GET"
    viewer = await user_of(request, "write:lists" if write else "read:lists")
    params = await read_params(request)
    async with session_scope(services(request).sessions) as session:
        found = await owned(session, request, viewer)
        if not write:
            window = window_of(request, 40, 80)
            if request.query_params.get("limit") == "0":  # every account, as Mastodon
                window = Window(limit=timeline_lists.MAX_MEMBERS)
            page = await timeline_lists.members_page(session, found, window)
            return await accounts_response(request, session, page)
        raw = params.get("account_ids", [])
        ids = [parse_id(r) for r in (raw if isinstance(raw, list) else [raw])][
            : timeline_lists.MAX_MEMBERS + 1
        ]
        if None in ids:
            raise HTTPException(422, "Validation failed: account_ids must be account ids")
        wanted = [i for i in ids if i is not None]
        with _refused():
            if request.method == "POST":
                await timeline_lists.add_members(session, found, viewer, wanted)
            else:
                await timeline_lists.remove_members(session, found, wanted)
        return JSONResponse({})


async def of_account(request: Request) -> Response:
    """GET /api/v1/accounts/:id/lists: the member's lists the account is on."""
    viewer = await user_of(request, "read:lists")
    async with services(request).sessions() as session:
        account = await records.account(session, request.path_params["id"])
        found = await timeline_lists.containing(session, viewer, account.id)
        return JSONResponse([entity(f) for f in found])


def _apply(found: TimelineList, params: dict[str, Any]) -> None:
    """Set what the request gives of the title, replies_policy and exclusive."""
    title, policy = params.get("title"), params.get("replies_policy")
    timeline_lists.update(
        found,
        title=None if title is None else str(title),
        replies_policy=None if policy in (None, "") else str(policy),
        exclusive=_flag(params.get("exclusive")),
    )


@contextmanager
def _refused() -> Iterator[None]:
    """A list refused as asked is a 422 with the reason, as Mastodon's validation errors."""
    try:
        yield
    except ListError as error:
        raise HTTPException(422, f"Validation failed: {error}") from None


def _flag(raw: object) -> bool | None:
    """A boolean parameter as a form (`true`, `1`) or JSON gives it; None if absent."""
    if raw is None or raw == "":
        return None
    return raw if isinstance(raw, bool) else str(raw).lower() in TRUE


routes = [
    Route("/api/v1/lists", index, methods=["GET", "POST"]),
    Route("/api/v1/lists/{id}", one, methods=["GET", "PUT", "DELETE"]),
    Route("/api/v1/lists/{id}/accounts", members, methods=["GET", "POST", "DELETE"]),
    Route("/api/v1/accounts/{id}/lists", of_account),
]
