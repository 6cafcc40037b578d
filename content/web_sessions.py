"""Browser sessions as server-side records, so each can be ended: signing out, a password
change, two-factor turned on or off, or a suspension ends them (and the app tokens too).

A session knows its account, a label the member can rename and two days (started, last
used): no IP address, no user agent, no time of day. The browser's signed cookie carries only
a random id, stored here as its SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from sqlalchemy import Date, ForeignKey, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content import oauth
from content.orm import Base, new_id, utcnow
from content.users import User, set_password

MAX_LABEL = 80
# A session not used for this long is over (the cookie's own lifetime, renewed on each use).
IDLE_DAYS = 14


class WebSession(Base):
    """One signed-in browser."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # Who the member acts as in this browser (`content.personas`); None: her own account.
    acting_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(MAX_LABEL))
    started_on: Mapped[date] = mapped_column(Date)
    last_used_on: Mapped[date] = mapped_column(Date)


def today() -> date:
    """The current UTC day: all a session remembers of when it was used."""
    return utcnow().date()


def start(session: AsyncSession, account_id: int) -> tuple[WebSession, str]:
    """A new session; returns it with the id for the cookie (the only time it is known)."""
    token = secrets.token_urlsafe(32)
    day = today()
    row = WebSession(
        account_id=account_id,
        token_sha256=_digest(token),
        label="",  # until the member names it, the page calls it by the day it started
        started_on=day,
        last_used_on=day,
    )
    session.add(row)
    return row, token


async def find(session: AsyncSession, token: str) -> WebSession | None:
    """The live session with this cookie id, marked as used today; None if it was ended or
    lay idle too long (then it is ended now, with the account's other idle ones)."""
    row = await session.scalar(select(WebSession).where(WebSession.token_sha256 == _digest(token)))
    if row is None or row.last_used_on == today():
        return row
    if row.last_used_on < today() - timedelta(days=IDLE_DAYS):
        await session.execute(
            delete(WebSession).where(
                WebSession.account_id == row.account_id,
                WebSession.last_used_on < today() - timedelta(days=IDLE_DAYS),
            )
        )
        return None
    row.last_used_on = today()
    return row


async def of_account(session: AsyncSession, account_id: int) -> list[WebSession]:
    """The account's live sessions, newest first."""
    rows = await session.scalars(
        select(WebSession)
        .where(
            WebSession.account_id == account_id,
            WebSession.last_used_on >= today() - timedelta(days=IDLE_DAYS),
        )
        .order_by(WebSession.id.desc())
    )
    return list(rows)


async def act_as(session: AsyncSession, session_id: int, acting_id: int | None) -> None:
    """Make the session act as another identity of its login (checked by the caller)."""
    await session.execute(
        update(WebSession).where(WebSession.id == session_id).values(acting_id=acting_id)
    )


async def end(session: AsyncSession, account_id: int, session_id: int) -> None:
    """End one of the account's sessions (another account's id is ignored)."""
    await session.execute(
        delete(WebSession).where(WebSession.id == session_id, WebSession.account_id == account_id)
    )


async def end_by_token(session: AsyncSession, token: str) -> None:
    """End the session with this cookie id: signing out."""
    await session.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))


async def rename(session: AsyncSession, account_id: int, session_id: int, label: str) -> None:
    """Give one of the account's sessions a label of the member's choice."""
    label = " ".join(label.split())[:MAX_LABEL]
    if label:
        await session.execute(
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.account_id == account_id)
            .values(label=label)
        )


async def end_all(session: AsyncSession, account_id: int, *, keep: int | None = None) -> None:
    """End every session of the account but `keep`, revoke every app token of it and drop
    its unused authorization codes: after a password or two-factor change, a suspension, or
    "sign out everywhere"."""
    ended = delete(WebSession).where(WebSession.account_id == account_id)
    if keep is not None:
        ended = ended.where(WebSession.id != keep)
    await session.execute(ended)
    await oauth.revoke_all(session, account_id)


async def change_password(
    session: AsyncSession, user: User, password: str, *, keep: int | None = None
) -> None:
    """A new password (PasswordError if it breaks the rules), which ends every other session
    and every app token of the login."""
    set_password(user, password)
    await end_all(session, user.account_id, keep=keep)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
