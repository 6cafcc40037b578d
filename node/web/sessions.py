"""Signing in and out with a password, and joining with an invite."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from activitypub import generate_keypair
from content import invites, users
from content.accounts import Account, UsernameError
from content.invites import InviteError
from content.users import PasswordError
from moderation.rate_limits import Action
from node.database import session_scope
from node.state import services
from node.web.rendering import render

SESSION_KEY = "account_id"
MAX_FORM_FIELD = 1024


async def signed_in_account(request: Request, session: AsyncSession) -> Account | None:
    """The live local account whose session cookie came with this request, if any."""
    raw = request.session.get(SESSION_KEY)
    if not isinstance(raw, str) or not raw.isdigit():
        return None
    account = await session.get(Account, int(raw))
    if account is None or not account.is_local or account.is_gone:
        return None
    return account


async def login(request: Request) -> Response:
    """The sign-in form, and signing in."""
    if request.method == "GET":
        return render(request, "login.html", next=_local_path(request.query_params.get("next")))
    form = await request.form(max_fields=10, max_files=0)
    username = str(form.get("username", ""))[:MAX_FORM_FIELD]
    password = str(form.get("password", ""))[:MAX_FORM_FIELD]
    services(request).federation.limits.take(Action.LOGIN, username.strip().lower())
    async with session_scope(services(request).sessions) as session:
        account = await users.authenticate(session, username, password)
    if account is None:
        return render(
            request,
            "login.html",
            status_code=401,
            username=username,
            next=_local_path(str(form.get("next", ""))),
            error="That username and password do not match an account here.",
        )
    request.session.clear()
    request.session[SESSION_KEY] = str(account.id)
    return RedirectResponse(_local_path(str(form.get("next", ""))) or "/home", status_code=303)


def _local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another site: no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


async def logout(request: Request) -> Response:
    """Sign out: forget the session."""
    request.session.clear()
    return RedirectResponse("/", status_code=303)


async def register(request: Request) -> Response:
    """Join with an invite code: a nickname and a password, nothing else."""
    code = request.query_params.get("invite", "")[:MAX_FORM_FIELD]
    if request.method == "GET":
        return render(request, "register.html", invite=code)
    form = await request.form(max_fields=10, max_files=0)
    code = str(form.get("invite", code))[:MAX_FORM_FIELD]
    username = str(form.get("username", "")).strip().lower()[:MAX_FORM_FIELD]
    password = str(form.get("password", ""))[:MAX_FORM_FIELD]
    services(request).federation.limits.take(Action.REGISTER)
    settings = services(request).settings
    keypair = await run_in_threadpool(generate_keypair)
    try:
        async with session_scope(services(request).sessions) as session:
            account = await invites.register(
                session,
                code=code,
                base_url=settings.base_url,
                username=username,
                password=password,
                keypair=keypair,
            )
    except (InviteError, UsernameError, PasswordError) as error:
        return render(
            request,
            "register.html",
            status_code=400,
            invite=code,
            username=username,
            error=str(error),
        )
    request.session.clear()
    request.session[SESSION_KEY] = str(account.id)
    return RedirectResponse(f"/@{account.username}", status_code=303)


routes = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/register", register, methods=["GET", "POST"]),
]
