"""`/settings/aliases` and `/settings/move`: moving an account to this node (name the old
account as an alias here first) and away from it (name the new account, which must list this
one; confirmed with the password). No JavaScript: forms, and a notice after each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import accounts, moves, personas, users
from content.accounts import Account
from content.interface_text import N_
from content.moves import MoveError
from federation import account_moves
from moderation.rate_limits import Action
from node.state import services
from node.web import notices
from node.web.actions import action
from node.web.rendering import render
from node.web.sessions import signed_in_account

ALIASES = "/settings/aliases"
MOVE = "/settings/move"
WRONG_PASSWORD = N_("That password is not right. Nothing was changed.")
NOT_CONFIRMED = N_("Tick the box to confirm the move. Nothing was changed.")
MAX_HANDLE = 300


async def aliases_page(request: Request) -> Response:
    """The member's aliases, each with a remove button, and the form to add one."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={ALIASES}", status_code=303)
        named = [(uri, await accounts.get_by_uri(session, uri)) for uri in viewer.also_known_as]
    return render(
        request, "aliases.html", viewer=viewer, aliases=named, notice=notices.take(request)
    )


async def move_page(request: Request) -> Response:
    """Where the account moved, or the form to move it, with what a move does."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={MOVE}", status_code=303)
        moved_to = await moves.moved_to(session, viewer)
    return render(
        request,
        "move.html",
        viewer=viewer,
        moved_to=moved_to,
        domain=services(request).settings.domain,
        notice=notices.take(request),
    )


def _handle(form: FormData) -> str:
    return str(form.get("handle", ""))[:MAX_HANDLE]


async def _add_alias(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> None:
    await account_moves.add_alias(services(request).federation, session, viewer, _handle(form))


async def _remove_alias(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> None:
    uri = str(form.get("uri", ""))
    await account_moves.remove_alias(services(request).federation, session, viewer, uri)


async def _move_away(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> None:
    """The move, once she ticked the box and gave her password (as deleting the account
    asks: a session left open on a shared phone must not be enough)."""
    fed = services(request).federation
    if form.get("confirm") != "on":
        raise MoveError(NOT_CONFIRMED)
    # Her login's password, whichever of her nicknames moves (never the organisation's).
    own = await personas.own_account(session, viewer)
    await fed.limits.take(Action.LOGIN, own.username if own else viewer.username)
    password = str(form.get("password", ""))[:1000]
    if own is None or await users.authenticate(session, own.username, password) is None:
        raise MoveError(WRONG_PASSWORD)
    await account_moves.move_away(fed, session, viewer, _handle(form))


routes = [
    Route(ALIASES, aliases_page),
    Route(ALIASES, action(_add_alias, ALIASES), methods=["POST"]),
    Route(f"{ALIASES}/remove", action(_remove_alias, ALIASES), methods=["POST"]),
    Route(MOVE, move_page),
    Route(MOVE, action(_move_away, MOVE), methods=["POST"]),
]
