"""App registration, the authorize page, tokens and revocation (RFC 6749, 7009, 7636, 8414)."""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from activitypub import web_url
from content import oauth, personas, users
from content.accounts import Account
from content.oauth import OAuthError
from content.users import AwaitingApproval
from federation.push import server_key, vapid_key
from node import i18n
from node.api.mastodon.requests import read_params
from node.database import session_scope
from node.i18n import N_
from node.middleware import content_security_policy
from node.state import services
from node.web.rendering import render
from node.web.sessions import AWAITING_APPROVAL, signed_in_account, signed_in_login

GRANTS = ["authorization_code", "password", "client_credentials"]
TWO_FACTOR_NEEDS_BROWSER = (
    "This account uses two-factor sign-in, which the password grant cannot ask for. "
    "Sign in through the browser instead (the authorization code flow: most apps call it "
    "'sign in with browser' or 'log in via web')."
)

SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?")


async def create_app(request: Request) -> Response:
    """POST /api/v1/apps: register a client app."""
    params = await read_params(request)
    name = str(params.get("client_name", "")).strip()
    uris = params.get("redirect_uris", "")
    redirect_uris = uris if isinstance(uris, list) else str(uris).split()
    if not name or not redirect_uris:
        return JSONResponse({"error": "client_name and redirect_uris are required"}, 422)
    try:
        scopes = oauth.parse_scopes(params.get("scopes"))
    except OAuthError as error:
        return JSONResponse({"error": str(error)}, 422)
    website = web_url(params.get("website")) if params.get("website") else None
    if params.get("website") and website is None:
        return JSONResponse({"error": "website must be an http or https address"}, 422)
    async with session_scope(services(request).sessions) as session:
        app, secret = oauth.register_app(
            session, name=name, redirect_uris=redirect_uris, scopes=scopes, website=website
        )
        await session.flush()
    return JSONResponse(
        {
            "id": str(app.id),
            "name": app.name,
            "website": web_url(app.website),
            "redirect_uri": "\n".join(redirect_uris),
            "redirect_uris": redirect_uris,
            "client_id": app.client_id,
            "client_secret": secret,
            "scopes": scopes,
            "vapid_key": server_key(vapid_key(services(request).settings.secret_key)),
        }
    )


# What each scope lets an app do, said on the consent page (a narrower scope, such as
# `read:statuses`, by the one it narrows).
SCOPE_LABELS = {
    "read": N_("Read your posts, messages, notifications and lists"),
    "write": N_("Post, edit and delete for you, and change your profile"),
    "follow": N_("Follow, block and mute accounts for you"),
    "push": N_("Send you push notifications"),
    "profile": N_("Know who you are on this node"),
    "admin:read": N_("Read moderation data (reports, accounts, blocked domains)"),
    "admin:write": N_("Act as a moderator for you"),
}


def scope_label(scope: str) -> str:
    """What a scope lets an app do, in English (translated by the page)."""
    parts = scope.split(":")
    for end in range(len(parts), 0, -1):
        if (label := SCOPE_LABELS.get(":".join(parts[:end]))) is not None:
            return label
    return N_("Something this node does not know")


def form_target(redirect_uri: str) -> list[str]:
    """The CSP source the consent form redirects to: the app's origin, or its own scheme."""
    parts = urlsplit(redirect_uri)
    if redirect_uri == oauth.OOB or not SCHEME.fullmatch(parts.scheme):
        return []
    if parts.scheme in ("http", "https"):
        return [f"{parts.scheme}://{parts.netloc}"] if HOST.fullmatch(parts.netloc) else []
    return [f"{parts.scheme}:"]


async def authorize(request: Request) -> Response:
    """GET shows who asks for what (signing in first if needed); POST grants it."""
    params = await read_params(request)
    checks_password = params.get("grant_type") == "password"
    turn = services(request).sign_ins if checks_password else contextlib.nullcontext()
    try:
        async with turn, session_scope(services(request).sessions) as session:
            app = await oauth.app_by_client_id(session, str(params.get("client_id", "")))
            redirect_uri = str(params.get("redirect_uri", oauth.OOB))
            scopes = oauth.parse_scopes(params.get("scope"))
            oauth.check_request(app, redirect_uri, scopes)
            login = await signed_in_login(request, session)
            user = await users.user_of(session, login) if login else None
            if login is None or user is None:
                back = f"{request.url.path}?{request.url.query}"
                return RedirectResponse(f"/login?{urlencode({'next': back})}", 303)
            identities = await personas.identities(session, user)
            if request.method == "GET":
                page = render(
                    request,
                    "authorize.html",
                    app=app,
                    scopes=scopes,
                    viewer=await signed_in_account(request, session),
                    identities=identities,
                    params=params,
                    scope_label=scope_label,
                )
                policy = content_security_policy(*form_target(redirect_uri))
                page.headers["content-security-policy"] = policy.decode()
                return page
            chosen = str(params.get("identity", login.id))
            acting = next((a for a in identities if str(a.id) == chosen), None)
            if acting is None:
                raise OAuthError("invalid_request", N_("you cannot act as that account"))
            code = oauth.create_code(
                session,
                app,
                login,
                acting=acting,
                redirect_uri=redirect_uri,
                scopes=scopes,
                code_challenge=str(params["code_challenge"])
                if params.get("code_challenge")
                else None,
            )
    except OAuthError as error:
        return render(request, "error.html", status_code=400, message=i18n.explain(error))
    if redirect_uri == oauth.OOB:
        return render(request, "authorized.html", code=code, app=app)
    query = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", 303)


async def token(request: Request) -> Response:
    """POST /oauth/token: authorization_code (with PKCE), password or client_credentials."""
    params = await read_params(request)
    checks_password = params.get("grant_type") == "password"
    turn = services(request).sign_ins if checks_password else contextlib.nullcontext()
    try:
        async with turn, session_scope(services(request).sessions) as session:
            app = await oauth.app_by_client_id(session, str(params.get("client_id", "")))
            grant = params.get("grant_type")
            if grant != "authorization_code" or params.get("client_secret"):
                oauth.check_secret(app, str(params.get("client_secret", "")))
            scopes = oauth.parse_scopes(params.get("scope"))
            account = acting = None
            if grant == "authorization_code":
                account, acting, scopes = await oauth.redeem_code(
                    session,
                    app,
                    str(params.get("code", "")),
                    redirect_uri=str(params.get("redirect_uri", oauth.OOB)),
                    code_verifier=params.get("code_verifier"),
                )
            elif grant == "password":
                oauth.check_request(app, app.redirect_uris.split("\n")[0], scopes)
                username = str(params.get("username", ""))
                limits = services(request).federation.limits
                await limits.take_sign_in(username)
                account = await _password_owner(session, username, str(params.get("password", "")))
                await limits.signed_in()
            elif grant == "client_credentials":
                oauth.check_request(app, app.redirect_uris.split("\n")[0], scopes)
            else:
                raise OAuthError("unsupported_grant_type", f"grant_type must be one of {GRANTS}")
            row, secret = oauth.issue_token(session, app, account, scopes, acting=acting)
            await session.flush()
    except OAuthError as error:
        status = 401 if error.error == "invalid_client" else 400
        return JSONResponse({"error": error.error, "error_description": str(error)}, status)
    return JSONResponse(
        {
            "access_token": secret,
            "token_type": "Bearer",
            "scope": row.scopes,
            "created_at": int(row.created_at.timestamp()),
        }
    )


async def _password_owner(session: AsyncSession, username: str, password: str) -> Account:
    """The account for the password grant. Accounts with two-factor sign-in are refused, as
    Mastodon refuses them: the grant has no place for the code."""
    try:
        account = await users.authenticate(session, username, password)
    except AwaitingApproval:
        raise OAuthError("invalid_grant", AWAITING_APPROVAL) from None
    user = await users.user_of(session, account) if account else None
    if account is None or user is None:
        raise OAuthError("invalid_grant", "Invalid username or password")
    if user.has_two_factor:
        raise OAuthError("invalid_grant", TWO_FACTOR_NEEDS_BROWSER)
    return account


async def revoke(request: Request) -> Response:
    """POST /oauth/revoke."""
    params = await read_params(request)
    checks_password = params.get("grant_type") == "password"
    turn = services(request).sign_ins if checks_password else contextlib.nullcontext()
    try:
        async with turn, session_scope(services(request).sessions) as session:
            app = await oauth.app_by_client_id(session, str(params.get("client_id", "")))
            oauth.check_secret(app, str(params.get("client_secret", "")))
            await oauth.revoke(session, app, str(params.get("token", "")))
    except OAuthError as error:
        return JSONResponse({"error": error.error, "error_description": str(error)}, 403)
    return JSONResponse({})


async def metadata(request: Request) -> Response:
    """/.well-known/oauth-authorization-server (RFC 8414)."""
    base = services(request).settings.base_url
    document: dict[str, Any] = {
        "issuer": f"{base}/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": list(oauth.TOP_SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": GRANTS,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    return JSONResponse(document)


routes = [
    Route("/api/v1/apps", create_app, methods=["POST"]),
    Route("/oauth/authorize", authorize, methods=["GET", "POST"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", metadata),
]
