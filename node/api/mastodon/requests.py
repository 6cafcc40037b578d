"""Reading client requests: form or JSON bodies, bearer tokens and scopes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from activitypub import InvalidDocument, read_json
from content import oauth
from content.accounts import Account
from content.oauth import AccessToken, OAuthError
from content.paging import parse_id
from content.readers import ReaderId
from content.users import Role
from node.moderating import has_role
from node.state import services


async def read_params(request: Request) -> dict[str, Any]:
    """Query parameters overlaid with the body, which may be a form or JSON (clients use both)."""
    values: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if content_type.startswith("application/json"):
            try:
                body = read_json(await request.body() or b"{}")
            except InvalidDocument as error:
                raise HTTPException(400, f"the body is not valid JSON: {error}") from None
            if not isinstance(body, dict):
                raise HTTPException(400, "the body must be a JSON object")
            values.update(body)
        else:
            form = await request.form(max_fields=100, max_files=0)
            for key in form:
                items = form.getlist(key)
                values[key.removesuffix("[]")] = items if key.endswith("[]") else items[-1]
    return values


def bearer(request: Request) -> str:
    """The token of the request's `Authorization: Bearer` header; 401 without one."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise HTTPException(401, "The access token is invalid")
    return header[7:].strip()


async def token_of(
    request: Request, scope: str, session: AsyncSession | None = None
) -> tuple[AccessToken, Account | None]:
    """The request's bearer token, which must grant `scope`; 401 or 403 otherwise. Read in
    `session` if given (a hot path spares a second connection), else in one of its own."""
    if session is None:
        async with services(request).sessions() as own:
            return await token_of(request, scope, own)
    try:
        token, account = await oauth.token_owner(session, bearer(request))
    except OAuthError as error:
        raise HTTPException(401, str(error)) from None
    _within(token.scopes, scope)
    return token, account


def _within(granted: str, scope: str) -> None:
    """403 unless the scopes a token was `granted` cover `scope`."""
    if not oauth.covers(granted, scope):
        raise HTTPException(403, "This action is outside the authorized scopes")


async def user_of(request: Request, scope: str, session: AsyncSession | None = None) -> Account:
    """The account behind the request's token; apps without a user get 422, like Mastodon."""
    _, account = await token_of(request, scope, session)
    if account is None:
        raise HTTPException(422, "This method requires an authenticated user")
    return account


async def reader_of(request: Request, scope: str, session: AsyncSession) -> ReaderId:
    """`user_of` for a page that needs only who reads it: her account's id, from the token's
    grant as this process remembers it (`content.token_cache`: forgotten in every process
    as a revocation or suspension commits), so a page read again asks nothing for it."""
    try:
        grant = await oauth.grant_of(session, bearer(request), services(request).tokens)
    except OAuthError as error:
        raise HTTPException(401, str(error)) from None
    _within(grant.scopes, scope)
    if grant.account_id is None:
        raise HTTPException(422, "This method requires an authenticated user")
    return ReaderId(grant.account_id)


async def staff_of(request: Request, scope: str, roles: frozenset[Role]) -> Account:
    """The login's own account behind the token (moderation is done, and audited, as the
    login, whichever identity the token acts as), whose login must hold one of `roles`
    (moderators and admins for reports and accounts, admins alone for domain blocks); 403
    otherwise."""
    token, acting = await token_of(request, scope)
    if acting is None or token.account_id is None:
        raise HTTPException(422, "This method requires an authenticated user")
    async with services(request).sessions() as session:
        account = await session.get(Account, token.account_id)
        if account is None or not await has_role(session, account, roles):
            raise HTTPException(403, "This action is not allowed")
    return account


def path_id(request: Request) -> int:
    """The `{id}` of the request's path as a database id; 404 if it cannot be one."""
    found = parse_id(request.path_params["id"])
    if found is None:
        raise HTTPException(404, "Record not found")
    return found


async def optional_viewer(request: Request, scope: str = "read:statuses") -> Account | None:
    """The account behind the token if the request has one (it must grant `scope`); None
    for a request without a token, which sees what is open to everyone."""
    if "authorization" not in request.headers:
        return None
    return (await token_of(request, scope))[1]
