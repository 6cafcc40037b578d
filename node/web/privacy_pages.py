"""`/settings/privacy`: who can find a member and who sees her public posts on the web. Both
start closed: she is not discoverable (not in search for strangers, `noindex` for search
engines) and chooses whether signed-out visitors of the web pages see her public posts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import profiles
from federation import outbox
from node.database import session_scope
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.sessions import signed_in_account

PATH = "/settings/privacy"


async def privacy_page(request: Request) -> Response:
    """The two choices, as they stand."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
    if viewer is None:
        return RedirectResponse(f"/login?next={PATH}", status_code=303)
    saved = notices.take_done(request) == "saved"
    return render(request, "privacy.html", viewer=viewer, saved=saved)


async def save_privacy(request: Request) -> Response:
    """Save both choices; a change of discoverability goes to her followers' servers too."""
    form = await request.form(max_fields=5, max_files=0)
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        was = viewer.discoverable
        profiles.edit(
            viewer,
            discoverable=form.get("discoverable") == "on",
            hide_from_guests=form.get("hide_from_guests") == "on",
        )
        if viewer.discoverable != was:
            await outbox.update_profile(fed, session, viewer)
    fed.notify()
    return notices.done(request, PATH, "saved")


routes = [
    Route(PATH, privacy_page),
    Route(PATH, save_privacy, methods=["POST"]),
]
