"""Idempotency keys: a client that retries a post with the same key gets the first one back."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, utcnow

LIFETIME = timedelta(hours=1)


class IdempotencyKey(Base):
    """`account` made `post` with a request carrying this key (kept as SHA-256)."""

    __tablename__ = "idempotency_keys"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    key_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def earlier_post(session: AsyncSession, account: Account, key: str) -> int | None:
    """The id of the post the account made with this key in the last hour, if any."""
    return await session.scalar(
        select(IdempotencyKey.post_id).where(
            IdempotencyKey.account_id == account.id,
            IdempotencyKey.key_sha256 == _digest(key),
            IdempotencyKey.created_at > utcnow() - LIFETIME,
        )
    )


async def remember(session: AsyncSession, account: Account, key: str, post_id: int) -> None:
    """Keep the key for an hour; the account's expired keys are forgotten now."""
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.account_id == account.id,
            IdempotencyKey.created_at <= utcnow() - LIFETIME,
        )
    )
    session.add(IdempotencyKey(account_id=account.id, key_sha256=_digest(key), post_id=post_id))
    await session.flush()
