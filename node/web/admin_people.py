"""`/admin/people`: who comes in and what they may do, as `harbour invite`, `harbour account
approve|reject` and `harbour admin grant` do it: invites (create, see, revoke) and newcomers
waiting for approval, for moderators; roles, for admins. Every action is in the audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content import accounts, invites, media, users
from content.accounts import Account
from content.interface_text import N_
from content.paging import parse_id
from content.users import Role
from moderation import approvals
from node import admission
from node.admission import AdmissionError
from node.moderating import ADMINS, MODERATORS, ModerationError, has_role
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.staff import StaffAction, staff_form, staff_viewer

PATH = "/admin/people"
NEW_INVITE = "new_invite"  # the session key of a link just made, shown once


async def people_page(request: Request) -> Response:
    """Invites, newcomers and (for admins) roles, with their forms."""
    async with services(request).sessions() as session:
        viewer = await staff_viewer(request, session, MODERATORS)
        if isinstance(viewer, Response):
            return viewer
        is_admin = await has_role(session, viewer, ADMINS)
        usable = await invites.usable(session)
        newcomers = await approvals.waiting(session)
        roles = await users.with_roles(session) if is_admin else []
    code = request.session.pop(NEW_INVITE, None)
    link = f"{services(request).settings.base_url}/register?invite={code}" if code else None
    return render(
        request,
        "admin_people.html",
        viewer=viewer,
        is_admin=is_admin,
        new_invite=link,
        role_names=[role.value for role in Role],
        notice=notices.take(request),
        invites=usable,
        newcomers=newcomers,
        roles=roles,
    )


async def _invite(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    uses, days = _number(form, "uses", 1), _number(form, "days", 7)
    request.session[NEW_INVITE] = admission.create_invite(session, viewer, uses, days)
    return []


async def _revoke(
    session: AsyncSession, viewer: Account, _form: FormData, request: Request
) -> list[str]:
    invite_id = parse_id(request.path_params["row_id"])
    await admission.revoke_invite(session, viewer, invite_id or 0)
    return []


async def _approve(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    approvals.approve(session, await _newcomer(session, request), viewer, _reason(form))
    return []


async def _reject(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    files = await approvals.reject(
        session, await _newcomer(session, request), viewer, _reason(form)
    )
    media.remove_files(services(request).settings.media_dir, files)
    return []


async def _role(
    session: AsyncSession, viewer: Account, form: FormData, _request: Request
) -> list[str]:
    nickname = str(form.get("username", "")).strip().lstrip("@")[:64]
    person = await accounts.get_local(session, nickname) if nickname else None
    if person is None:
        raise ModerationError(N_("There is no one here with that nickname."))
    try:
        role = Role(str(form.get("role", "")))
    except ValueError:
        raise ModerationError(N_("Choose a role.")) from None
    if person.id == viewer.id and role != Role.ADMIN:
        raise ModerationError(N_("Another admin must take your own role away."))
    await admission.grant_role(session, viewer, person, role)
    return []


async def _newcomer(session: AsyncSession, request: Request) -> Account:
    found = parse_id(request.path_params["row_id"])
    account = await session.get(Account, found) if found is not None else None
    if account is None or not account.awaiting_approval or account.deleted_at is not None:
        raise ModerationError(N_("This person is not waiting for approval."))
    return account


def _number(form: FormData, name: str, default: int) -> int:
    try:
        return int(str(form.get(name, default)))
    except ValueError:
        return 0  # refused by the action, with its message


def _reason(form: FormData) -> str:
    return str(form.get("reason", ""))[:2000]


def _form(run: StaffAction, roles: frozenset[Role]) -> Callable[[Request], Awaitable[Response]]:
    """`staff_form` answering back on this page, with the admission errors as notices."""

    async def checked(
        session: AsyncSession, viewer: Account, form: FormData, request: Request
    ) -> list[str]:
        try:
            return await run(session, viewer, form, request)
        except AdmissionError as error:
            raise ModerationError(error.args[0]) from None

    return staff_form(checked, roles, PATH)


routes = [
    Route(PATH, people_page),
    Route(f"{PATH}/invites", _form(_invite, MODERATORS), methods=["POST"]),
    Route(f"{PATH}/invites/{{row_id}}/revoke", _form(_revoke, MODERATORS), methods=["POST"]),
    Route(f"{PATH}/newcomers/{{row_id}}/approve", _form(_approve, MODERATORS), methods=["POST"]),
    Route(f"{PATH}/newcomers/{{row_id}}/reject", _form(_reject, MODERATORS), methods=["POST"]),
    Route(f"{PATH}/roles", _form(_role, ADMINS), methods=["POST"]),
]
