"""Turning two-factor sign-in on and off on `/settings`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import personas, two_factor, users
from content.accounts import Account
from content.interface_text import N_
from content.two_factor import TwoFactorError
from content.users import User
from moderation.rate_limits import Action
from node.database import session_scope
from node.moderating import MODERATORS, has_role
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.sessions import (
    current_session_id,
    secret_box,
    signed_in_account,
    signed_in_login,
)

MAX_FIELD = 1024


async def render_settings(
    request: Request, session: AsyncSession, viewer: Account, status_code: int = 200, **extra: Any
) -> Response:
    """The `/settings` page, with the state of the login's second factor and the
    identities it acts as. `viewer` is the login's own account."""
    user = await users.user_of(session, viewer)
    context: dict[str, Any] = {"two_factor_on": False, "secret": None}
    acting = await signed_in_account(request, session) or viewer
    if user is not None and user.has_two_factor:
        context["two_factor_on"] = True
        context["codes_left"] = await two_factor.recovery_codes_left(session, user)
    elif user is not None:
        secret = _readable_pending_secret(user, request)
        if secret is not None:
            domain = services(request).settings.domain
            context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
            context["otpauth_uri"] = two_factor.provisioning_uri(
                secret, account_name=f"{viewer.username}@{domain}", issuer=domain
            )
    response = render(
        request,
        "settings.html",
        status_code,
        viewer=acting,
        login=viewer,
        identities=await personas.identities(session, user) if user else [],
        max_personas=personas.MAX_PERSONAS,
        has_login=user is not None,
        moderates=await has_role(session, viewer, MODERATORS),
        **context,
        **extra,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def start(request: Request) -> Response:
    """`POST /settings/two-factor/start`: make a new secret and show it, not yet enabled."""
    async with session_scope(services(request).sessions) as session:
        viewer, user = await _viewer(request, session)
        if viewer is None or user is None:
            return RedirectResponse("/login?next=/settings", status_code=303)
        try:
            two_factor.start_setup(user, secret_box(request))
        except TwoFactorError as error:
            return await render_settings(request, session, viewer, 400, error=error)
    return RedirectResponse("/settings#two-factor", status_code=303)


Step = Callable[[Request, AsyncSession, Account, User, FormData], Awaitable[Response]]


def with_password(step: Step) -> Callable[[Request], Awaitable[Response]]:
    """A settings form that needs the signed-in member's password, in one transaction; a
    wrong password or a TwoFactorError shows the settings page with the reason."""

    async def endpoint(request: Request) -> Response:
        form = await request.form(max_fields=5, max_files=0)
        async with session_scope(services(request).sessions) as session:
            viewer, user = await _viewer(request, session)
            if viewer is None or user is None:
                return RedirectResponse("/login?next=/settings", status_code=303)
            await services(request).federation.limits.take(Action.LOGIN, viewer.username)
            password = str(form.get("password", ""))[:MAX_FIELD]
            if await users.authenticate(session, viewer.username, password) is None:
                error = "That password is not right. Nothing was changed."
                return await render_settings(request, session, viewer, 400, error=error)
            try:
                return await step(request, session, viewer, user, form)
            except TwoFactorError as error:
                return await render_settings(request, session, viewer, 400, error=error)

    return endpoint


@with_password
async def enable(
    request: Request, session: AsyncSession, viewer: Account, user: User, form: FormData
) -> Response:
    """`POST /settings/two-factor/enable`: with the password and a current code, turn it on
    (every other session and app token ends) and show the recovery codes, once."""
    code = str(form.get("code", ""))[:MAX_FIELD]
    keep = await current_session_id(request)
    codes = await two_factor.enable(session, user, secret_box(request), code, keep=keep)
    response = render(request, "recovery_codes.html", viewer=viewer, codes=codes)
    response.headers["Cache-Control"] = "no-store"
    return response


@with_password
async def disable(
    request: Request, session: AsyncSession, viewer: Account, user: User, form: FormData
) -> Response:
    """`POST /settings/two-factor/disable`: with the password and a code (or a recovery
    code), turn it off (every other session and app token ends)."""
    code = str(form.get("code", ""))[:MAX_FIELD]
    if not await two_factor.check_code(session, user, secret_box(request), code):
        raise TwoFactorError(
            N_("That code is not right, or it was used already. Nothing was changed.")
        )
    await two_factor.disable(session, user, keep=await current_session_id(request))
    return notices.done(request, "/settings#two-factor", "two-factor-off")


async def _viewer(request: Request, session: AsyncSession) -> tuple[Account | None, User | None]:
    viewer = await signed_in_login(request, session)
    return viewer, await users.user_of(session, viewer) if viewer else None


def _readable_pending_secret(user: User, request: Request) -> str | None:
    try:
        return two_factor.pending_secret(user, secret_box(request))
    except TwoFactorError:
        return None  # sealed with an older node key: starting again makes a new one


routes = [
    Route("/settings/two-factor/start", start, methods=["POST"]),
    Route("/settings/two-factor/enable", enable, methods=["POST"]),
    Route("/settings/two-factor/disable", disable, methods=["POST"]),
]
