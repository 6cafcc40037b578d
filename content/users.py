"""Local logins: the password and role behind a local account. No e-mail is ever asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy import ForeignKey, String, Text, column, exists, false, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from content import passwords
from content.accounts import Account
from content.interface_text import N_, Message
from content.orm import Base, utcnow
from content.passwords import matches, off_loop

# The personas table (content.personas, which builds on this module), as the sign-in reads it.
_PERSONAS = table("personas", column("account_id"), column("login_id"))
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


class Role(StrEnum):
    """What a local user may do beyond posting: staff publish listings, moderators moderate."""

    MEMBER = "member"
    STAFF = "staff"
    MODERATOR = "moderator"
    ADMIN = "admin"


class PasswordError(ValueError):
    """A password does not meet the rules; the message is fit to show the user."""


class AwaitingApproval(Exception):
    """The password is right, but the account waits for a moderator's approval."""


class User(Base):
    """The login of a local account."""

    __tablename__ = "users"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The TOTP secret (content.two_factor), encrypted with a key derived from the node's
    # secret key. Set but not enabled while the member confirms it with a first code.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None]
    # The 30-second time step of the last code accepted, so a code is never accepted twice.
    totp_last_step: Mapped[int | None]
    # Pages show a neutral title and icon, for a member who shares a phone or a screen.
    discreet: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The member's language (BCP 47): the interface's when it is offered, and the client
    # API's `source.language`. None until they choose one.
    language: Mapped[str | None] = mapped_column(String(35))
    # The member's time zone (an IANA name) for times on pages; None: the node's.
    time_zone: Mapped[str | None] = mapped_column(String(64))

    @property
    def has_two_factor(self) -> bool:
        """Whether signing in needs a code from an authenticator app."""
        return self.totp_enabled_at is not None


def check_password(password: str) -> str:
    """Return the password if it is acceptable, else raise PasswordError saying why."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(
            Message(N_("a password needs at least %(count)s characters"), count=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordError(
            Message(N_("a password has at most %(count)s characters"), count=MAX_PASSWORD_LENGTH)
        )
    return password


def add_user(session: AsyncSession, account: Account, password: str, role: Role) -> User:
    """Give a local account a login with an argon2-hashed password."""
    user = User(
        account_id=account.id,
        password_hash=passwords.hasher.hash(check_password(password)),
        role=role,
    )
    session.add(user)
    return user


def set_password(user: User, password: str) -> None:
    """Give a login a new password (its second factor, if any, stays as it is)."""
    user.password_hash = passwords.hasher.hash(check_password(password))


async def authenticate(session: AsyncSession, username: str, password: str) -> Account | None:
    """The live local account whose password this is, or None (in the same time either way).

    Raises AwaitingApproval if the password is right but the account is not approved yet.
    A login one of whose nicknames is suspended is barred as the account itself would be."""
    nickname = aliased(Account)
    row = (
        await session.execute(
            select(Account, User)
            .join(User, User.account_id == Account.id)
            .where(
                Account.domain.is_(None),
                Account.username == username.strip().lower(),
                Account.deleted_at.is_(None),
                Account.suspended_at.is_(None),
                ~exists().where(  # nor one of its further nicknames (content.personas)
                    _PERSONAS.c.login_id == Account.id,
                    _PERSONAS.c.account_id == nickname.id,
                    nickname.suspended_at.is_not(None),
                ),
            )
        )
    ).first()
    too_long = len(password) > MAX_PASSWORD_LENGTH
    stored = row[1].password_hash if row and not too_long else await off_loop(_dummy_hash)
    if not await off_loop(lambda: matches(stored, password[:MAX_PASSWORD_LENGTH])):
        return None
    if row is None or too_long:
        return None
    if passwords.hasher.check_needs_rehash(stored):
        row[1].password_hash = await off_loop(lambda: passwords.hasher.hash(password))
    if row[0].awaiting_approval:
        raise AwaitingApproval(row[0].username)
    return row[0]


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a miss takes as long as a wrong password."""
    return passwords.hasher.hash("harbour-unknown-user")


async def user_of(session: AsyncSession, account: Account) -> User | None:
    """The login of a local account, if it has one."""
    return await session.get(User, account.id)


async def with_roles(session: AsyncSession) -> Sequence[tuple[Account, str]]:
    """The local people with a role beyond member (staff, moderators, admins), by name."""
    rows = await session.execute(
        select(Account, User.role)
        .join(User, User.account_id == Account.id)
        .where(User.role != Role.MEMBER, Account.deleted_at.is_(None))
        .order_by(Account.username)
    )
    return [(account, role) for account, role in rows]
