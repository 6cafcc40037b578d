"""The admin pages' gate: only moderators and admins (some pages admins alone) get in, and
their forms run in one transaction, from this site only, answered with a redirect back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from content import media
from content.accounts import Account
from content.users import Role
from moderation.domain_blocks import DomainBlockError
from node.database import session_scope
from node.i18n import _
from node.moderating import ModerationError, has_role
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.sessions import signed_in_login

# A form's work: returns the media files to remove once the transaction is committed.
StaffAction = Callable[[AsyncSession, Account, FormData, Request], Awaitable[list[str]]]


async def staff_viewer(
    request: Request, session: AsyncSession, roles: frozenset[Role]
) -> Account | Response:
    """The signed-in account if its role is one of `roles`; otherwise the sign-in redirect
    or a 403 page to return instead."""
    viewer = await signed_in_login(request, session)  # moderation is done, and audited, as
    if viewer is None:  # the login's own account, whoever it acts as
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if not await has_role(session, viewer, roles):
        return render(
            request,
            "error.html",
            status_code=403,
            viewer=viewer,
            message=_("This page is for the moderators of this node."),
        )
    return viewer


def staff_form(
    run: StaffAction, roles: frozenset[Role], back: str, *, max_fields: int = 20
) -> Callable[[Request], Awaitable[Response]]:
    """A form POST by a moderator or admin, answered with a redirect to `back` (with a
    notice if the action was refused)."""

    async def endpoint(request: Request) -> Response:
        form = await request.form(max_fields=max_fields, max_files=0)
        try:
            async with session_scope(services(request).sessions) as session:
                viewer = await staff_viewer(request, session, roles)
                if isinstance(viewer, Response):
                    return viewer
                files = await run(session, viewer, form, request)
        except (ModerationError, DomainBlockError) as error:
            return notices.refused(request, back, error)
        media.remove_files(services(request).settings.media_dir, files)
        services(request).federation.notify()
        return RedirectResponse(back, status_code=303)

    return endpoint
