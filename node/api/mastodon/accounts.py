"""Accounts: who am I, look someone up, follow and unfollow, search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import accounts, groups, relationships
from content.accounts import Account
from content.paging import parse_count
from content.relationships import FollowState
from federation import group_outbox, outbox
from federation.context import Federation
from federation.mentions import full_handle
from federation.outbox import ActionError
from node.api.mastodon import entities, records, tags
from node.api.mastodon.account_lists import find_accounts
from node.api.mastodon.requests import read_params, token_of, user_of
from node.database import session_scope
from node.state import services

AccountAction = Callable[[Federation, AsyncSession, Account, Account], Awaitable[object]]


async def verify_credentials(request: Request) -> Response:
    """GET /api/v1/accounts/verify_credentials."""
    viewer = await user_of(request, "profile")
    async with services(request).sessions() as session:
        return JSONResponse(
            await entities.credential_account(session, viewer, services(request).settings.base_url)
        )


async def show(request: Request) -> Response:
    """GET /api/v1/accounts/:id."""
    async with services(request).sessions() as session:
        account = await records.account(session, request.path_params["id"])
        return JSONResponse(
            await entities.account(session, account, services(request).settings.base_url)
        )


async def lookup(request: Request) -> Response:
    """GET /api/v1/accounts/lookup?acct=name or name@server (cached accounts only)."""
    handle = full_handle(request.query_params.get("acct", ""), services(request).settings.domain)
    user, _, domain = handle.partition("@")
    async with services(request).sessions() as session:
        if domain == services(request).settings.domain:
            account = await accounts.get_local(session, user)
        else:
            account = await accounts.get_remote_by_handle(session, user, domain)
        if account is None or account.is_gone:  # a deleted remote account is gone here too
            raise HTTPException(404, "Record not found")
        return JSONResponse(
            await entities.account(session, account, services(request).settings.base_url)
        )


async def follow(request: Request) -> Response:
    """POST /api/v1/accounts/:id/follow: the Relationship afterwards."""
    return await act_on_account(request, "write:follows", outbox.follow)


async def unfollow(request: Request) -> Response:
    """POST /api/v1/accounts/:id/unfollow."""
    return await act_on_account(request, "write:follows", outbox.unfollow)


async def relationships_of(request: Request) -> Response:
    """GET /api/v1/accounts/relationships?id[]=...: the viewer's relation to each account."""
    viewer = await user_of(request, "read:follows")
    ids = request.query_params.getlist("id[]") or request.query_params.getlist("id")
    async with services(request).sessions() as session:
        found = [await records.account(session, raw) for raw in ids[:40]]
        return JSONResponse([await entities.relationship(session, viewer, a) for a in found])


async def search(request: Request) -> Response:
    """GET /api/v2/search: accounts by the start of their name or handle; `@name@server` is
    resolved through WebFinger when asked. Statuses and hashtags are not searched yet."""
    _, viewer = await token_of(request, "read:search")
    params = await read_params(request)
    limit = str(params.get("limit", ""))
    found = await find_accounts(
        request,
        viewer,
        str(params.get("q", "")),
        resolve=str(params.get("resolve", "false")).lower() in ("true", "1"),
        limit=parse_count(limit, 20, 40),
    )
    types = params.get("type")
    query = str(params.get("q", ""))
    found_tags = await tags.matching(request, query) if types in (None, "", "hashtags") else []
    return JSONResponse({"accounts": found, "statuses": [], "hashtags": found_tags})


async def act_on_account(request: Request, scope: str, action: AccountAction) -> Response:
    """Run an outbox action of the viewer on the account in the path; the Relationship after."""
    viewer = await user_of(request, scope)
    fed = services(request).federation
    try:
        async with session_scope(services(request).sessions) as session:
            target = await records.account(session, request.path_params["id"])
            viewer = await session.get(Account, viewer.id) or viewer
            await action(fed, session, viewer, target)
            entity = await entities.relationship(session, viewer, target)
    except ActionError as error:
        raise HTTPException(422, str(error)) from None
    fed.notify()
    return JSONResponse(entity)


async def remove_from_followers(request: Request) -> Response:
    """POST /api/v1/accounts/:id/remove_from_followers: that account follows the viewer no
    more (its server is told)."""
    return await act_on_account(request, "write:follows", outbox.remove_follower)


routes = [
    Route("/api/v1/accounts/verify_credentials", verify_credentials),
    Route("/api/v1/accounts/lookup", lookup),
    Route("/api/v1/accounts/relationships", relationships_of),
    Route("/api/v1/accounts/{id}", show),
    Route("/api/v1/accounts/{id}/follow", follow, methods=["POST"]),
    Route("/api/v1/accounts/{id}/unfollow", unfollow, methods=["POST"]),
    Route("/api/v1/accounts/{id}/remove_from_followers", remove_from_followers, methods=["POST"]),
    Route("/api/v2/search", search),
]


async def follow_requests(request: Request) -> Response:
    """GET /api/v1/follow_requests: accounts waiting for approval, the viewer's own first,
    then those asking to join a group the viewer moderates."""
    viewer = await user_of(request, "read:follows")
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        pending = [a for _, a in await relationships.pending_requests(session, viewer)]
        for space in await groups.moderated_by(session, viewer):
            pending += [a for _, a in await relationships.pending_requests(session, space.account)]
        unique = list({account.id: account for account in pending}.values())
        return JSONResponse([await entities.account(session, a, base) for a in unique])


async def answer_follow_request(request: Request) -> Response:
    """POST /api/v1/follow_requests/:id/authorize or /reject (`id` is the follower's): the
    viewer's own request, else the oldest request of that account to join a group the
    viewer moderates."""
    if request.path_params["answer"] not in ("authorize", "reject"):
        raise HTTPException(404, "Record not found")
    viewer = await user_of(request, "write:follows")
    fed = services(request).federation
    accept = request.path_params["answer"] == "authorize"
    async with session_scope(services(request).sessions) as session:
        follower = await records.account(session, request.path_params["id"])
        found = await relationships.find_follow(session, follower, viewer)
        if found is not None and found.state == FollowState.PENDING:
            await outbox.answer_follow(fed, session, viewer, found, accept=accept)
        elif space := await _group_asked(session, viewer, follower):
            await group_outbox.answer(fed, session, viewer, space, follower, accept=accept)
        else:
            raise HTTPException(404, "Record not found")
        entity = await entities.relationship(session, viewer, follower)
    fed.notify()
    return JSONResponse(entity)


async def _group_asked(
    session: AsyncSession, moderator: Account, follower: Account
) -> groups.Space | None:
    """The group `moderator` moderates that `follower` asked to join first, if any."""
    asked = []
    for space in await groups.moderated_by(session, moderator):
        found = await relationships.find_follow(session, follower, space.account)
        if found is not None and found.state == FollowState.PENDING:
            asked.append((found.id, space))
    return min(asked, key=lambda pair: pair[0])[1] if asked else None


routes += [
    Route("/api/v1/follow_requests", follow_requests),
    Route("/api/v1/follow_requests/{id}/{answer:str}", answer_follow_request, methods=["POST"]),
]
