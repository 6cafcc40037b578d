"""An optional second factor: TOTP codes (RFC 6238) from an authenticator app, and ten
one-time recovery codes for a lost phone.

The TOTP secret is stored encrypted (Fernet, with a key derived from the node's secret key),
so a copy of the database alone does not give it away; it is never logged. Recovery codes
are stored as argon2 hashes, like passwords, and shown once.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import datetime

from sqlalchemy import ForeignKey, String, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content import passwords, secret_box, web_sessions
from content.interface_text import N_
from content.orm import Base, new_id, utcnow
from content.passwords import matches, off_loop
from content.users import User

RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (clocks drift)


class TwoFactorError(ValueError):
    """A code is wrong or used, or the secret cannot be read; the message is fit to show."""


class RecoveryCode(Base):
    """One unused recovery code, as an argon2 hash. Using it deletes the row."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("users.account_id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecretBox(secret_box.SecretBox):
    """Encrypts TOTP secrets with a key derived from the node's secret key."""

    def __init__(self, node_secret_key: str) -> None:
        super().__init__(node_secret_key, b"harbour totp secrets")

    def open(self, sealed: str) -> str:
        """The secret, or TwoFactorError if it was sealed with another node secret key."""
        opened = super().open(sealed)
        if opened is None:
            raise TwoFactorError(
                N_(
                    "the two-factor secret cannot be read (the node's secret key changed); "
                    "an admin can turn two-factor sign-in off with `harbour account disable-2fa`"
                )
            )
        return opened


def start_setup(user: User, box: SecretBox) -> str:
    """Give the login a new secret, not enabled until a code confirms it; return it."""
    if user.has_two_factor:
        raise TwoFactorError(N_("two-factor sign-in is already on"))
    import pyotp  # the first two-factor set-up or sign-in, not at start-up

    secret = pyotp.random_base32()
    user.totp_secret = box.seal(secret)
    user.totp_last_step = None
    return secret


def pending_secret(user: User, box: SecretBox) -> str | None:
    """The secret being set up and not confirmed yet, if any."""
    if user.totp_secret is None or user.has_two_factor:
        return None
    return box.open(user.totp_secret)


def provisioning_uri(secret: str, *, account_name: str, issuer: str) -> str:
    """The `otpauth://totp/...` URI authenticator apps read (Key Uri Format)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


async def enable(
    session: AsyncSession, user: User, box: SecretBox, code: str, *, keep: int | None = None
) -> list[str]:
    """Turn two-factor sign-in on once `code` matches the pending secret, ending every
    session (but `keep`) and app token of the login; return the ten recovery codes (the only
    time they are known)."""
    secret = pending_secret(user, box)
    if secret is None:
        raise TwoFactorError(N_("start setting up two-factor sign-in first"))
    if not await _accept_totp(session, user, secret, code):
        raise TwoFactorError(N_("that code is not right; check the time on your phone"))
    user.totp_enabled_at = utcnow()
    await web_sessions.end_all(session, user.account_id, keep=keep)
    return await _new_recovery_codes(session, user)


async def check_code(session: AsyncSession, user: User, box: SecretBox, code: str) -> bool:
    """Whether `code` is a current TOTP code not used before, or an unused recovery code
    (which is then used up)."""
    if not user.has_two_factor or user.totp_secret is None:
        return False
    typed = "".join(code.split()).replace("-", "").lower()
    if typed.isdigit() and len(typed) == 6:
        return await _accept_totp(session, user, box.open(user.totp_secret), typed)
    return await _use_recovery_code(session, user, typed)


async def disable(session: AsyncSession, user: User, *, keep: int | None = None) -> None:
    """Turn two-factor sign-in off, forget the secret and the recovery codes, and end every
    session (but `keep`) and app token of the login."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == user.account_id))
    await web_sessions.end_all(session, user.account_id, keep=keep)


async def recovery_codes_left(session: AsyncSession, user: User) -> int:
    """How many recovery codes are still unused."""
    rows = await session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.account_id == user.account_id)
    )
    return len(rows.all())


async def _accept_totp(session: AsyncSession, user: User, secret: str, code: str) -> bool:
    """Accept `code` for the current step (give or take DRIFT_STEPS), once: the step is
    recorded with a conditional UPDATE, so a replayed code, even sent twice at the same
    moment, fails."""
    import pyotp

    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    typed = code.strip().encode("ascii", "replace")
    matched = [
        step
        for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1)
        if hmac.compare_digest(totp.generate_otp(step).encode("ascii"), typed)
    ]
    if not matched:
        return False
    step = matched[0]
    recorded = await session.execute(
        update(User)
        .where(
            User.account_id == user.account_id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if recorded.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


async def _new_recovery_codes(session: AsyncSession, user: User) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == user.account_id))
    codes = [_format(secrets.token_hex(5)) for _ in range(RECOVERY_CODES)]
    digests = await off_loop(lambda: [passwords.hasher.hash(_plain(c)) for c in codes])
    session.add_all(RecoveryCode(account_id=user.account_id, code_hash=d) for d in digests)
    return codes


async def _use_recovery_code(session: AsyncSession, user: User, typed: str) -> bool:
    if not typed or len(typed) > 64:
        return False
    rows = (
        await session.execute(
            select(RecoveryCode.id, RecoveryCode.code_hash).where(
                RecoveryCode.account_id == user.account_id
            )
        )
    ).all()
    found = await off_loop(lambda: _matching([(row.id, row.code_hash) for row in rows], typed))
    if found is None:
        return False
    used = await session.execute(delete(RecoveryCode).where(RecoveryCode.id == found))
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def _matching(rows: list[tuple[int, str]], typed: str) -> int | None:
    return next((row_id for row_id, code_hash in rows if matches(code_hash, typed)), None)


def _format(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def _plain(code: str) -> str:
    return code.replace("-", "")
