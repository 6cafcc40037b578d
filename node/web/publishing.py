"""Who publishes in the organisation's name, for the pages that do it alike: listings,
events and country pages are all written by staff of this node as the organisation."""

from __future__ import annotations

from typing import Protocol, TypeVar
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from content import accounts, personas, users
from content.accounts import Account
from content.users import Role
from node.state import services
from node.web.rendering import render
from node.web.sessions import signed_in_account

STAFF_ROLES = frozenset({Role.STAFF, Role.MODERATOR, Role.ADMIN})


class _Published(Protocol):
    @property
    def account_id(self) -> int: ...


Owned = TypeVar("Owned", bound=_Published)


async def is_staff(session: AsyncSession, viewer: Account | None) -> bool:
    """Whether the viewer publishes for this node's organisation: a staff login acting as
    its own account or as the organisation itself (only staff can). Never as a further
    nickname: staff work done under it would tell who is behind it."""
    if viewer is None:
        return False
    user = await users.user_of(session, viewer)
    if user is None:
        return await personas.is_organisation(session, viewer)
    return user.role in STAFF_ROLES


async def organisation(session: AsyncSession, username: str) -> Account:
    """The node's organisation actor, in whose name staff publish."""
    found = await accounts.get_local(session, username)
    if found is None:
        raise LookupError("this node has no organisation actor; run `harbour init`")
    return found


async def publisher(
    request: Request, session: AsyncSession, refused: str
) -> tuple[Account, Account] | Response:
    """The signed-in staff viewer and the organisation she publishes for; otherwise the
    sign-in redirect, or a 403 page that says `refused` (already translated)."""
    viewer = await signed_in_account(request, session)
    if viewer is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if not await is_staff(session, viewer):
        return render(request, "error.html", status_code=403, viewer=viewer, message=refused)
    return viewer, await organisation(session, services(request).settings.organisation_username)


def owned(found: Owned | None, owner: Account, missing: str) -> Owned:
    """`found` if the organisation `owner` holds it; otherwise a 404 that says `missing`."""
    if found is None or found.account_id != owner.id:
        raise HTTPException(404, missing)
    return found
