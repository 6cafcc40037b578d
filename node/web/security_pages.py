"""`/settings/security`, without JavaScript: the password, the profile, the member's browser
sessions and authorised apps, each of which she can end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import oauth, profiles, users, web_sessions
from content.accounts import Account
from content.interface_text import N_
from content.profiles import ProfileError
from content.users import PasswordError
from federation import outbox
from moderation.rate_limits import Action
from node.database import session_scope
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.sessions import (
    current_session,
    current_session_id,
    signed_in_account,
    signed_in_login,
)

PAGE = "/settings/security"
MAX_FIELD = 1024


async def security_page(request: Request) -> Response:
    """The password and profile forms, and the lists of sessions and apps."""
    async with services(request).sessions() as session:
        viewer = await signed_in_login(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={PAGE}", status_code=303)
        return await _render(request, session, viewer, notice=notices.take_done(request))


async def _render(
    request: Request, session: AsyncSession, viewer: Account, status_code: int = 200, **extra: Any
) -> Response:
    """The page for the login `viewer`; the profile is that of the identity it acts as."""
    current = await current_session(request)
    return render(
        request,
        "security.html",
        status_code,
        viewer=await signed_in_account(request, session) or viewer,
        sessions=await web_sessions.of_account(session, viewer.id),
        current_id=current.id if current else None,
        apps=await oauth.authorised_apps(session, viewer.id),
        discreet_on=bool(getattr(request.state, "discreet", False)),
        **extra,
    )


Step = Callable[[Request, AsyncSession, Account, FormData], Awaitable[Response]]


def member_form(step: Step) -> Callable[[Request], Awaitable[Response]]:
    """A form of this page: same-origin, signed in, one transaction; a refused change shows
    the page again with the reason and changes nothing."""

    async def endpoint(request: Request) -> Response:
        form = await request.form(max_fields=10, max_files=0)
        try:
            async with session_scope(services(request).sessions) as session:
                viewer = await signed_in_login(request, session)
                if viewer is None:
                    return RedirectResponse(f"/login?next={PAGE}", status_code=303)
                return await step(request, session, viewer, form)
        except (PasswordError, ProfileError) as error:
            async with services(request).sessions() as session:
                viewer = await signed_in_login(request, session)
                if viewer is None:
                    return RedirectResponse(f"/login?next={PAGE}", status_code=303)
                return await _render(request, session, viewer, 400, error=error)

    return endpoint


def _text(form: FormData, name: str) -> str:
    return str(form.get(name, ""))[:MAX_FIELD]


def _item_id(request: Request) -> int:
    raw = str(request.path_params["item_id"])
    if not raw.isdigit() or len(raw) >= 19:
        raise HTTPException(404, "no such session or app")
    return int(raw)


@member_form
async def change_password(
    request: Request, session: AsyncSession, viewer: Account, form: FormData
) -> Response:
    """With the current password, a new one; every other session and every app token end."""
    await services(request).federation.limits.take(Action.LOGIN, viewer.username)
    if await users.authenticate(session, viewer.username, _text(form, "current_password")) is None:
        raise PasswordError(N_("Your current password is not right. Nothing was changed."))
    user = await users.user_of(session, viewer)
    if user is None:
        raise PasswordError(N_("This account has no password to change."))
    keep = await current_session_id(request)
    await web_sessions.change_password(session, user, _text(form, "new_password"), keep=keep)
    return notices.done(request, PAGE, "password")


@member_form
async def change_profile(
    request: Request, session: AsyncSession, viewer: Account, form: FormData
) -> Response:
    """A new display name and note of the identity she acts as, sent to the servers that
    know it."""
    viewer = await signed_in_account(request, session) or viewer
    profiles.edit(viewer, display_name=_text(form, "display_name"), note=_text(form, "note"))
    await outbox.update_profile(services(request).federation, session, viewer)
    services(request).federation.notify()
    return notices.done(request, PAGE, "profile")


@member_form
async def set_discreet(
    request: Request, session: AsyncSession, viewer: Account, form: FormData
) -> Response:
    """Turn the discreet pages (a neutral title and icon) on or off."""
    user = await users.user_of(session, viewer)
    if user is not None:
        user.discreet = form.get("discreet") == "on"
    return notices.done(request, f"{PAGE}#discreet", "discreet")


@member_form
async def rename_session(
    request: Request, session: AsyncSession, viewer: Account, form: FormData
) -> Response:
    """A label of her choice for one of her sessions."""
    await web_sessions.rename(session, viewer.id, _item_id(request), _text(form, "label"))
    return RedirectResponse(f"{PAGE}#sessions", status_code=303)


@member_form
async def end_one_session(
    request: Request, session: AsyncSession, viewer: Account, form: FormData
) -> Response:
    """End one session; ending this browser's own signs it out."""
    await web_sessions.end(session, viewer.id, _item_id(request))
    current = await current_session(request)
    if current is not None and current.id == _item_id(request):
        request.session.clear()
        return RedirectResponse("/", status_code=303)
    return notices.done(request, f"{PAGE}#sessions", "session-ended")


@member_form
async def revoke_app(
    request: Request, session: AsyncSession, viewer: Account, form: FormData
) -> Response:
    """Revoke every token one app holds for her."""
    await oauth.revoke_all(session, viewer.id, app_id=_item_id(request))
    return notices.done(request, f"{PAGE}#apps", "app-revoked")


@member_form
async def sign_out_everywhere(
    request: Request, session: AsyncSession, viewer: Account, form: FormData
) -> Response:
    """End every session, this one too, and every app token."""
    await web_sessions.end_all(session, viewer.id)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


routes = [
    Route(PAGE, security_page),
    Route("/settings/password", change_password, methods=["POST"]),
    Route("/settings/profile", change_profile, methods=["POST"]),
    Route("/settings/discreet", set_discreet, methods=["POST"]),
    Route("/settings/sessions/{item_id}/rename", rename_session, methods=["POST"]),
    Route("/settings/sessions/{item_id}/end", end_one_session, methods=["POST"]),
    Route("/settings/apps/{item_id}/revoke", revoke_app, methods=["POST"]),
    Route("/settings/sign-out-everywhere", sign_out_everywhere, methods=["POST"]),
]
