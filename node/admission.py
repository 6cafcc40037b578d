"""Who comes in and what they may do: invites and roles, for the command line and the admin
pages alike, each with its audit entry (newcomers' approval is `moderation.approvals`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from content import invites, oauth, personas, users
from content.accounts import Account
from content.interface_text import N_
from content.users import Role
from moderation import audit

MAX_INVITE_USES = 100
MAX_INVITE_DAYS = 90


class AdmissionError(ValueError):
    """The action is not possible; the message is fit to show the admin."""


def create_invite(session: AsyncSession, by: Account | None, uses: int, days: int) -> str:
    """A new invite for `uses` people within `days` days; returns its code (shown once)."""
    if not 1 <= uses <= MAX_INVITE_USES:
        raise AdmissionError(N_("An invite is for 1 to 100 people."))
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise AdmissionError(N_("An invite is valid for 1 to 90 days."))
    code = invites.create_invite(
        session, created_by=by, max_uses=uses, lifetime=timedelta(days=days)
    )
    audit.record(session, by, "invite.create", f"{uses} uses, {days} days")
    return code


async def revoke_invite(session: AsyncSession, by: Account | None, invite_id: int) -> None:
    """Make an invite unusable at once."""
    if not await invites.revoke(session, invite_id):
        raise AdmissionError(N_("That invite cannot be used any more anyway."))
    audit.record(session, by, "invite.revoke", str(invite_id))


async def grant_role(
    session: AsyncSession, by: Account | None, person: Account, role: Role
) -> None:
    """Give a person's login a role (member takes every role away)."""
    user = await users.user_of(session, person)
    if user is None:
        raise AdmissionError(N_("Only a person's login can have a role."))
    user.role = role
    if role not in personas.STAFF_ROLES:
        # Its open streams and its push subscriptions end with those tokens, at once.
        held = [organisation.id for organisation in await personas.organisations(session)]
        await oauth.revoke_acting(session, user.account_id, held)
    audit.record(session, by, f"role.{role}", f"@{person.username}")
