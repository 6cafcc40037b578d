"""A member's lists on the web, without JavaScript: `/home/lists` names them and
`/home/lists/ID` reads one as a timeline (made and changed through apps, for now). Another
member's list is 404, as in the client API."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import timeline_lists, timelines
from content.paging import Window
from moderation.policy import hidden_from
from node.state import services
from node.web.post_extras import post_extras
from node.web.rendering import render
from node.web.sessions import signed_in_account

PATH = "/home/lists"


async def index(request: Request) -> Response:
    """The member's lists, each a link to its timeline."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        found = await timeline_lists.of_owner(session, viewer)
    return render(request, "timeline_lists.html", viewer=viewer, lists=found, current=None)


async def one(request: Request) -> Response:
    """One of the member's lists as a timeline: its newest 40 posts."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        current = await timeline_lists.owned(session, viewer, request.path_params["id"])
        if current is None:
            raise HTTPException(404)
        hidden = await hidden_from(session, viewer)
        entries = await timelines.list_timeline(
            session,
            current,
            window=Window(limit=40),
            exclude_accounts=hidden.accounts,
            exclude_domains=hidden.domains,
        )
        extras = await post_extras(session, viewer, [entry.post.id for entry in entries])
    return render(
        request,
        "timeline_lists.html",
        viewer=viewer,
        current=current,
        entries=entries,
        **extras,
    )


routes = [
    Route(PATH, index),
    Route(PATH + "/{id:id}", one),
]
