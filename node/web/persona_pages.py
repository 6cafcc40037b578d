"""Choosing who the member acts as in this browser, and making a further nickname
(`content.personas`), on `/settings`."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from activitypub import generate_keypair
from content import personas, users, web_sessions
from content.accounts import UsernameError
from content.personas import PersonaError
from moderation.rate_limits import Action
from node.database import session_scope
from node.state import services
from node.web import notices
from node.web.sessions import current_session, local_path, signed_in_login

BACK = "/settings#identities"
MAX_FIELD = 1024


async def act_as(request: Request) -> Response:
    """`POST /settings/identity`: act as another of the login's identities in this browser
    (posting, replying, following, notifications), back to the page it was chosen on."""
    form = await request.form(max_fields=5, max_files=0)
    chosen = str(form.get("identity", ""))[:20]
    back = local_path(str(form.get("next", ""))[:2048]) or "/home"
    async with session_scope(services(request).sessions) as session:
        login = await signed_in_login(request, session)
        current = await current_session(request)
        user = await users.user_of(session, login) if login else None
        if login is None or user is None or current is None:
            return RedirectResponse("/login?next=/settings", status_code=303)
        for identity in await personas.identities(session, user):
            if str(identity.id) == chosen:
                acting = None if identity.id == login.id else identity.id
                await web_sessions.act_as(session, current.id, acting)
                current.acting_id = acting
                return RedirectResponse(back, status_code=303)
    return RedirectResponse(BACK, status_code=303)


async def new_persona(request: Request) -> Response:
    """`POST /settings/identity/new`: a further nickname of this login, an account of its
    own that nothing links to the others; the browser acts as it at once."""
    form = await request.form(max_fields=5, max_files=0)
    username = str(form.get("username", "")).strip().lower()[:MAX_FIELD]
    try:
        async with session_scope(services(request).sessions) as session:
            login = await signed_in_login(request, session)
            current = await current_session(request)
            user = await users.user_of(session, login) if login else None
            if user is None or current is None:
                return RedirectResponse("/login?next=/settings", status_code=303)
            # Her own budget, not the node's joining one, and before any key is made.
            await services(request).federation.limits.take(
                Action.REGISTER, f"nickname:{user.account_id}"
            )
            keypair = await run_in_threadpool(generate_keypair)
            account = await personas.create(
                session,
                user,
                base_url=services(request).settings.base_url,
                username=username,
                keypair=keypair,
            )
            await session.flush()
            await web_sessions.act_as(session, current.id, account.id)
            current.acting_id = account.id
    except (PersonaError, UsernameError) as error:
        return notices.refused(request, BACK, error)
    return RedirectResponse(f"/@{account.username}", status_code=303)


routes = [
    Route("/settings/identity", act_as, methods=["POST"]),
    Route("/settings/identity/new", new_persona, methods=["POST"]),
]
