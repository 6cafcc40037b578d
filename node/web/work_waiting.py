"""What waits for the signed-in person's role, at the top of her notifications page: for
staff, readers' corrections and their organisation's information to verify; for
moderators, open reports; for admins, newcomers to approve and trust-list changes to
review. Each with how many and a link to where it is done; nothing for a member."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from content import personas, users
from content.accounts import Account
from content.corrections import Correction, State
from content.orm import Base
from content.users import Role
from moderation.reports import Report
from node.moderating import ADMINS, MODERATORS
from node.state import services
from node.web import to_verify
from node.web.admin_trust import waiting_changes
from node.web.publishing import STAFF_ROLES, organisation
from node.web.sessions import signed_in_login

COUNTED_UP_TO = 1000  # a count beyond this is shown as this


@dataclass(frozen=True)
class Waiting:
    """How many things of one kind wait, and the page where they are done."""

    kind: str  # corrections, to-verify, reports, newcomers, trust
    count: int
    path: str


async def for_viewer(request: Request, session: AsyncSession, viewer: Account) -> list[Waiting]:
    """What waits for the role of the viewer's login, the kinds with nothing waiting left
    out; nothing while she acts as a further nickname (a role shown there would tell who is
    behind it)."""
    own = await signed_in_login(request, session)
    if own is None or (own.id != viewer.id and not await personas.is_organisation(session, viewer)):
        return []
    login = await users.user_of(session, own)
    role = Role(login.role) if login is not None else Role.MEMBER
    found: list[Waiting] = []
    if role in STAFF_ROLES:
        found += await _for_staff(request, session)
    if role in MODERATORS:
        reports = await _count(session, Report, Report.resolved_at.is_(None))
        found.append(Waiting("reports", reports, "/admin/reports"))
    if role in ADMINS:
        waiting = Account.awaiting_approval.is_(True) & Account.deleted_at.is_(None)
        newcomers = await _count(session, Account, waiting)
        found.append(Waiting("newcomers", newcomers, "/admin/people#newcomers"))
        found.append(Waiting("trust", await waiting_changes(session), "/admin/trust"))
    return [item for item in found if item.count]


async def _for_staff(request: Request, session: AsyncSession) -> list[Waiting]:
    try:
        owner = await organisation(session, services(request).settings.organisation_username)
    except LookupError:  # a node without its organisation actor yet
        return []
    open_ = (Correction.organisation_id == owner.id) & Correction.state.in_(
        (State.OPEN, State.NEEDS_CALL)
    )
    due, _ = await to_verify.counts(session, owner)
    return [
        Waiting("corrections", await _count(session, Correction, open_), "/staff/corrections"),
        Waiting("to-verify", due, to_verify.PAGE),
    ]


async def _count(session: AsyncSession, model: type[Base], condition: ColumnElement[bool]) -> int:
    """How many rows match, counting no further than COUNTED_UP_TO."""
    matching = select(model).where(condition).limit(COUNTED_UP_TO).subquery()
    return int(await session.scalar(select(func.count()).select_from(matching)) or 0)
