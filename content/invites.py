"""Invite codes: the only way in. Registration asks for a nickname and a password, nothing else."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from activitypub import KeyPair
from content.accounts import Account, create_local
from content.interface_text import N_
from content.orm import Base, new_id, utcnow
from content.users import Role, add_user, check_password

DEFAULT_LIFETIME = timedelta(days=7)


class InviteError(ValueError):
    """An invite code is unknown, used up or expired; the message is fit to show the user."""


class Invite(Base):
    """An invite. Only the code's SHA-256 is stored: the code is shown once, to its creator."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def create_invite(
    session: AsyncSession,
    *,
    created_by: Account | None,
    max_uses: int = 1,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> str:
    """Store a new invite and return its code (the only time the code is known)."""
    if max_uses < 1:
        raise InviteError(N_("an invite must allow at least one use"))
    code = secrets.token_urlsafe(18)
    session.add(
        Invite(
            code_sha256=_digest(code),
            created_by_id=created_by.id if created_by else None,
            max_uses=max_uses,
            expires_at=utcnow() + lifetime,
        )
    )
    return code


async def find_usable(session: AsyncSession, code: str) -> Invite:
    """The invite behind `code`, if it can still be used; else InviteError."""
    invite = await session.scalar(select(Invite).where(Invite.code_sha256 == _digest(code)))
    if invite is None:
        raise InviteError(N_("this invite code is not known here"))
    if invite.uses >= invite.max_uses:
        raise InviteError(N_("this invite has been used already"))
    if invite.expires_at <= utcnow():
        raise InviteError(N_("this invite has expired"))
    return invite


async def register(
    session: AsyncSession,
    *,
    code: str,
    base_url: str,
    username: str,
    password: str,
    keypair: KeyPair,
    approval_required: bool = False,
) -> Account:
    """Create a member account with an invite; raises InviteError, UsernameError, PasswordError.

    With `approval_required` the account waits for a moderator (`awaiting_approval`)."""
    invite = await find_usable(session, code)
    check_password(password)
    account = await create_local(session, base_url=base_url, username=username, keypair=keypair)
    account.awaiting_approval = approval_required
    add_user(session, account, password, Role.MEMBER)
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.uses < Invite.max_uses)
        .values(uses=Invite.uses + 1)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InviteError(N_("this invite has been used already"))
    return account


async def usable(session: AsyncSession, limit: int = 200) -> Sequence[Invite]:
    """The invites that can still be used, newest first."""
    query = (
        select(Invite)
        .where(Invite.uses < Invite.max_uses, Invite.expires_at > utcnow())
        .order_by(Invite.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def revoke(session: AsyncSession, invite_id: int) -> bool:
    """Make an invite unusable at once; False if it was not usable anyway."""
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.uses < Invite.max_uses, Invite.expires_at > utcnow())
        .values(expires_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()
