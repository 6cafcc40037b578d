"""Approving or rejecting accounts that joined while registrations needed approval."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts
from content.accounts import Account
from content.erasure import erase_local_account
from moderation import audit


class NotAwaitingApproval(ValueError):
    """The account is not waiting for approval; the message is fit to show."""


async def waiting(session: AsyncSession, limit: int = 200) -> Sequence[Account]:
    """The accounts that joined while registrations needed approval and still wait, oldest
    first."""
    query = (
        select(Account)
        .where(Account.awaiting_approval.is_(True), Account.deleted_at.is_(None))
        .order_by(Account.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


def approve(session: AsyncSession, account: Account, by: Account | None, reason: str = "") -> None:
    """Let the account sign in and be found, and log who approved it."""
    _check_pending(account)
    accounts.approve(account)
    audit.record(session, by, "account.approve", f"@{account.username}", reason)


async def reject(
    session: AsyncSession, account: Account, by: Account | None, reason: str = ""
) -> list[str]:
    """Erase the account (it never federated, so no server is told) and log who rejected it;
    return the names of its image files, for the caller to delete after the commit."""
    _check_pending(account)
    files = await erase_local_account(session, account)
    account.awaiting_approval = False
    audit.record(session, by, "account.reject", f"@{account.username}", reason)
    return files


def _check_pending(account: Account) -> None:
    if not account.awaiting_approval or account.deleted_at is not None:
        raise NotAwaitingApproval(f"@{account.username} is not waiting for approval")
