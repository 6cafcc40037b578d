"""A member's own account: download everything, or delete it for good (two-factor sign-in is
in `two_factor_pages`)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import media, personas, users
from content.archive import archive_of
from content.orm import iso, utcnow
from federation import outbox, to_wire
from moderation import audit
from moderation.rate_limits import Action
from node.database import session_scope
from node.i18n import _
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.sessions import signed_in_account, signed_in_login
from node.web.two_factor_pages import render_settings


async def settings_page(request: Request) -> Response:
    """`/settings`: the export link, two-factor sign-in and the deletion form."""
    async with services(request).sessions() as session:
        viewer = await signed_in_login(request, session)
        if viewer is None:
            return RedirectResponse("/login?next=/settings", status_code=303)
        return await render_settings(
            request,
            session,
            viewer,
            delete_error=request.query_params.get("error") == "wrong password",
            identity_error=notices.take(request),
            notice=notices.take_done(request),
        )


async def export(request: Request) -> Response:
    """`/settings/export`: the member's profile, every post they wrote (all visibilities, as
    ActivityPub), who they follow and are followed by, and their lists, as one JSON file."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse("/login?next=/settings", status_code=303)
        archive = await archive_of(session, viewer)
    document = {
        "exported_at": iso(utcnow()),
        "actor": to_wire.actor(viewer).to_document(),
        "posts": [
            to_wire.create_activity(post, viewer, hashtags=tags) for post, tags in archive.posts
        ],
        "following": [a.uri for a in archive.following],
        "followers": [a.uri for a in archive.followers],
        "lists": [
            {
                "title": found.title,
                "replies_policy": found.replies_policy,
                "exclusive": found.exclusive,
                "accounts": accounts,
            }
            for found, accounts in archive.lists
        ],
    }
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="harbour-{viewer.username}.json"',
            "Cache-Control": "no-store",
        },
    )


async def delete_account(request: Request) -> Response:
    """`POST /settings/delete`: with the password, erase the account and tell other servers."""
    form = await request.form(max_fields=5, max_files=0)
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        viewer = await signed_in_login(request, session)
        if viewer is None:
            return RedirectResponse("/login", status_code=303)
        await fed.limits.take(Action.LOGIN, viewer.username)
        password = str(form.get("password", ""))[:1000]
        if await users.authenticate(session, viewer.username, password) is None:
            return RedirectResponse("/settings?error=wrong+password", status_code=303)
        files = []
        for persona in await personas.accounts_of(session, viewer):  # all her identities
            files += await outbox.delete_account(fed, session, persona)
        audit.record(session, viewer, "account.delete", f"@{viewer.username}", "by its owner")
    media.remove_files(services(request).settings.media_dir, files)
    fed.notify()
    request.session.clear()
    return render(request, "error.html", message=_("Your account is deleted. Take care."))


routes = [
    Route("/settings", settings_page),
    Route("/settings/export", export),
    Route("/settings/delete", delete_account, methods=["POST"]),
]
