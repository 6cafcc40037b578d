"""Signing in and out with a password (and a second factor if the member turned it on), and
joining with an invite."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from activitypub import generate_keypair
from content import invites, personas, two_factor, users, web_sessions
from content.accounts import Account, UsernameError
from content.invites import InviteError
from content.two_factor import SecretBox, TwoFactorError
from content.users import AwaitingApproval, PasswordError
from content.web_sessions import WebSession
from moderation.rate_limits import Action
from moderation.switches import Switch
from node import i18n, run_time_settings
from node.database import session_scope
from node.i18n import N_, _
from node.state import services
from node.web.rendering import render

# The signed cookie holds only the random id of a server-side session (content.web_sessions).
SESSION_KEY = "sid"
# Set once the password was right, until the second factor is: {"id", "at", "next"}.
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300
MAX_FORM_FIELD = 1024
AWAITING_APPROVAL = N_(
    "Your account is waiting for approval by this node's moderators. "
    "You can sign in once they have approved it."
)


async def signed_in_account(request: Request, session: AsyncSession) -> Account | None:
    """Who the signed-in member acts as: the identity chosen in this browser
    (`content.personas`, checked again on each request), else her own account."""
    login = await signed_in_login(request, session)
    current = await current_session(request)
    if login is None or current is None or current.acting_id in (None, login.id):
        return login
    user = await session.get(users.User, login.id)
    acting = await session.get(Account, current.acting_id)
    if user is None or acting is None or not await personas.may_act_as(session, user, acting):
        return login
    return acting


async def signed_in_login(request: Request, session: AsyncSession) -> Account | None:
    """The own account of the login whose session cookie came with this request (for what
    belongs to the login, whoever it acts as: password, two-factor, language, roles)."""
    current = await current_session(request)
    if current is None:
        return None
    account = await session.get(Account, current.account_id)
    if account is None or not account.is_local or account.is_gone:
        return None
    return account


async def current_session(request: Request) -> WebSession | None:
    """The live server-side session the request's cookie names (looked up once a request, in
    its own transaction, which marks it used today); a cookie of an ended one is forgotten."""
    if hasattr(request.state, "web_session"):
        found: WebSession | None = request.state.web_session
        return found
    token = request.session.get(SESSION_KEY)
    found = None
    if isinstance(token, str) and token:
        async with session_scope(services(request).sessions) as session:
            found = await web_sessions.find(session, token)
            user = await session.get(users.User, found.account_id) if found else None
        request.state.discreet = user is not None and user.discreet
        request.state.account_language = user.language if user else None
        interface = services(request).interface
        interface.activate(interface.request_language(request))
        if found is None:
            request.session.clear()
    request.state.web_session = found
    return found


async def current_session_id(request: Request) -> int | None:
    """The id of the request's live session, to keep when the others end."""
    current = await current_session(request)
    return current.id if current else None


async def begin_session(request: Request, account_id: int) -> None:
    """Sign the browser in: a new server-side session, named by the cookie (one it had
    before is ended). A language chosen with the switcher during this visit becomes the
    member's (not the cookie alone: on a shared phone it may be somebody else's)."""
    chosen = request.session.get(i18n.CHOSEN, "")
    await end_session(request)
    async with session_scope(services(request).sessions) as session:
        row, token = web_sessions.start(session, account_id)
        if chosen in services(request).interface.languages:
            user = await session.get(users.User, account_id)
            if user is not None:
                user.language = chosen
    request.session[SESSION_KEY] = token
    request.state.web_session = row


def secret_box(request: Request) -> SecretBox:
    """What encrypts and decrypts members' two-factor secrets on this node."""
    return SecretBox(services(request).settings.secret_key)


async def login(request: Request) -> Response:
    """The sign-in form, and signing in: with the password, then the code if 2FA is on."""
    if request.method == "GET":
        return render(request, "login.html", next=local_path(request.query_params.get("next")))
    form = await request.form(max_fields=10, max_files=0)
    username = str(form.get("username", ""))[:MAX_FORM_FIELD]
    password = str(form.get("password", ""))[:MAX_FORM_FIELD]
    next_path = local_path(str(form.get("next", "")))
    limits = services(request).federation.limits
    await limits.take_sign_in(username)
    try:
        async with services(request).sign_ins, session_scope(services(request).sessions) as session:
            account = await users.authenticate(session, username, password)
            user = await users.user_of(session, account) if account else None
    except AwaitingApproval:
        await limits.signed_in()
        return render(request, "login.html", 403, username=username, error=_(AWAITING_APPROVAL))
    if account is None or user is None:
        return render(
            request,
            "login.html",
            status_code=401,
            username=username,
            next=next_path,
            error=_("That username and password do not match an account here."),
        )
    await limits.signed_in()
    if user.has_two_factor:
        await end_session(request)
        pending = {"id": str(account.id), "at": int(time.time()), "next": next_path or ""}
        request.session[PENDING_KEY] = pending
        return render(request, "login_code.html")
    await begin_session(request, account.id)
    return RedirectResponse(next_path or "/home", status_code=303)


async def login_code(request: Request) -> Response:
    """`POST /login/code`: the second step, a code from the authenticator app or a recovery
    code. The session is set only once it is right."""
    pending = request.session.get(PENDING_KEY)
    if (
        not isinstance(pending, dict)
        or not str(pending.get("id", "")).isdigit()
        or not isinstance(pending.get("at"), int)
        or time.time() - pending["at"] > PENDING_SECONDS
    ):
        request.session.clear()
        message = _("Signing in took too long. Please start again.")
        return render(request, "login.html", status_code=401, error=message)
    form = await request.form(max_fields=5, max_files=0)
    code = str(form.get("code", ""))[:MAX_FORM_FIELD]
    async with services(request).sign_ins, session_scope(services(request).sessions) as session:
        account = await session.get(Account, int(pending["id"]))
        user = await users.user_of(session, account) if account else None
        if account is None or account.is_gone or user is None:
            request.session.clear()
            return render(request, "login.html", status_code=401, error=_("Please sign in again."))
        limits = services(request).federation.limits
        await limits.take_sign_in(account.username)
        try:
            accepted = await two_factor.check_code(session, user, secret_box(request), code)
        except TwoFactorError as error:
            return render(request, "login_code.html", status_code=401, error=error)
    if not accepted:
        wrong = _("That code is not right, or it was used already. Try the next one.")
        return render(request, "login_code.html", status_code=401, error=wrong)
    await limits.signed_in()
    await begin_session(request, account.id)
    return RedirectResponse(local_path(str(pending.get("next"))) or "/home", status_code=303)


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another site: no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


async def end_session(request: Request) -> None:
    """End the browser's session here, so its cookie is worth nothing even if kept, and
    forget the cookie."""
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str) and token:
        async with session_scope(services(request).sessions) as session:
            await web_sessions.end_by_token(session, token)
    request.session.clear()
    request.state.web_session = None


async def logout(request: Request) -> Response:
    """Sign out."""
    await end_session(request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(i18n.COOKIE)  # the next person on this phone starts afresh
    response.delete_cookie(i18n.TIME_ZONE_COOKIE)
    return response


async def register(request: Request) -> Response:
    """Join with an invite code: a nickname and a password, nothing else."""
    code = request.query_params.get("invite", "")[:MAX_FORM_FIELD]
    if services(request).federation.lockdown:
        closed = _("Joining this node is closed for now. Please try again later.")
        return render(request, "register.html", status_code=403, invite=code, error=closed)
    if request.method == "GET":
        return render(request, "register.html", invite=code)
    form = await request.form(max_fields=10, max_files=0)
    code = str(form.get("invite", code))[:MAX_FORM_FIELD]
    username = str(form.get("username", "")).strip().lower()[:MAX_FORM_FIELD]
    password = str(form.get("password", ""))[:MAX_FORM_FIELD]
    await services(request).federation.limits.take(Action.REGISTER)
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
                approval_required=await run_time_settings.is_on(
                    session, settings, Switch.REGISTRATION_APPROVAL
                ),
            )
    except (InviteError, UsernameError, PasswordError) as error:
        return render(
            request,
            "register.html",
            status_code=400,
            invite=code,
            username=username,
            error=error,
        )
    request.session.clear()
    if account.awaiting_approval:
        return render(
            request,
            "error.html",
            message=_("Welcome, @%(username)s.") % {"username": account.username}
            + " "
            + _(AWAITING_APPROVAL),
        )
    await begin_session(request, account.id)
    return RedirectResponse(f"/@{account.username}", status_code=303)


routes = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/login/code", login_code, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/register", register, methods=["GET", "POST"]),
]
