"""Accounts: who am I, look someone up, follow and unfollow, search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from activitypub import web_url
from content import accounts, groups, relationships
from content.accounts import Account
from content.paging import parse_count
from content.posts import Post, can_see
from content.relationships import FollowState
from federation import group_outbox, outbox
from federation.context import Federation
from federation.lookup import by_url
from federation.mentions import full_handle
from federation.outbox import ActionError
from federation.resolve import ResolveError
from moderation.policy import hidden_from
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
    resolved through WebFinger when asked, and so is a pasted URL of a profile or post (by
    a signed-in member). Statuses are not searched by their text."""
    _, viewer = await token_of(request, "read:search")
    params = await read_params(request)
    query = str(params.get("q", "")).strip()
    resolve = str(params.get("resolve", "false")).lower() in ("true", "1")
    types = params.get("type") or None
    if resolve and viewer is not None and web_url(query):
        return JSONResponse(await _resolved(request, viewer, query, types))
    found = await find_accounts(
        request,
        viewer,
        query,
        resolve=resolve,
        limit=parse_count(str(params.get("limit", "")), 20, 40),
    )
    found_tags = await tags.matching(request, query) if types in (None, "hashtags") else []
    return JSONResponse({"accounts": found, "statuses": [], "hashtags": found_tags})


async def _resolved(
    request: Request, viewer: Account, url: str, types: object
) -> dict[str, list[dict[str, Any]]]:
    """The search answer for a pasted URL: the account or the post it names, if the viewer
    may see it and it is of a type asked for."""
    fed = services(request).federation
    answer: dict[str, list[dict[str, Any]]] = {"accounts": [], "statuses": [], "hashtags": []}
    try:
        async with session_scope(services(request).sessions) as session:
            found = await by_url(fed, session, url)
            hidden = (await hidden_from(session, viewer)).accounts
            if isinstance(found, Account) and types in (None, "accounts"):
                if found.id not in hidden and not found.is_gone:
                    answer["accounts"].append(await entities.account(session, found, fed.base_url))
            elif isinstance(found, Post) and types in (None, "statuses"):
                author = await session.get(Account, found.account_id)
                if author and author.id not in hidden and await can_see(session, viewer, found):
                    answer["statuses"].append(
                        await entities.status(session, found, author, viewer, fed.base_url)
                    )
    except ResolveError:
        pass  # nothing found: an empty answer, as Mastodon gives
    return answer


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
