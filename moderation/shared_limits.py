"""Rate-limit buckets in the database, shared by every process of a node on PostgreSQL: one
row per (action, key), refilled and spent in one atomic statement, so sign-in attempts split
between processes count as they would in one. Keys are nicknames, account ids or "" (the
whole node), never addresses, and are stored only as their HMAC under the node's secret key
(`stored_key`): a nickname tried is whatever someone typed (her e-mail address, her name,
a megabyte of text), which the table must neither keep readable nor keep at any length. A
bucket that is full again says nothing a missing row would not, so `forget_full` deletes
those (the worker's hourly prune)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import Double, String, Text, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from content.orm import Base


class RateBucket(Base):
    """Tokens left for one action and key, as counted at `updated_at`."""

    __tablename__ = "rate_buckets"

    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[datetime]


# The tokens a bucket has now: what it had, refilled since, at most a burst.
_REFILLED = "least(:burst, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * :rate)"
_TAKE = text(
    f"""INSERT INTO rate_buckets AS b (action, key, tokens, updated_at)
    VALUES (:action, :key, :burst - 1, now())
    ON CONFLICT (action, key) DO UPDATE SET tokens = {_REFILLED} - 1, updated_at = now()
    WHERE {_REFILLED} >= 1
    RETURNING b.tokens"""
)
_LEFT = text(f"SELECT {_REFILLED} FROM rate_buckets AS b WHERE action = :action AND key = :key")
_GIVE_BACK = text(
    "UPDATE rate_buckets SET tokens = least(:burst, tokens + 1)"
    " WHERE action = :action AND key = :key"
)
_FORGET_FULL = text(
    f"DELETE FROM rate_buckets AS b WHERE action = :action AND {_REFILLED} >= :burst"
)

Sessions = async_sessionmaker[AsyncSession]


def stored_key(key: str, secret: str) -> str:
    """A bucket's key as the table holds it: "" (the whole node) as it is, any other as 64
    hex digits of its HMAC-SHA256 under `secret`, the same in every process of the node."""
    if not key:
        return ""
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


# How long a take waits for a bucket's row lock (every failed sign-in shares one row): past
# it the attempt is refused for a second rather than holding a pooled connection on.
_LOCK_TIMEOUT = text("SET LOCAL lock_timeout = '2s'")
BUSY_WAIT = 1.0


async def take(sessions: Sessions, action: str, key: str, burst: int, seconds: float) -> float:
    """Spend a token of the bucket; 0 if one was there, else the seconds until one is
    (BUSY_WAIT when the bucket's row stayed locked: fail closed, soon)."""
    rate = burst / seconds
    values = {"action": action, "key": key, "burst": burst, "rate": rate}
    try:
        async with sessions() as session, session.begin():
            await session.execute(_LOCK_TIMEOUT)
            if (await session.execute(_TAKE, values)).first() is not None:
                return 0.0
            left = await session.scalar(_LEFT, values)
    except OperationalError as error:
        if not _lock_timed_out(error):
            raise
        return BUSY_WAIT
    return max((1 - float(left if left is not None else 0.0)) / rate, 1.0)


async def give_back(sessions: Sessions, action: str, key: str, burst: int) -> None:
    """Return a token to the bucket (never above a burst); not if its row stayed locked."""
    try:
        async with sessions() as session, session.begin():
            await session.execute(_LOCK_TIMEOUT)
            await session.execute(_GIVE_BACK, {"action": action, "key": key, "burst": burst})
    except OperationalError as error:
        if not _lock_timed_out(error):
            raise


def _lock_timed_out(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "55P03"  # lock_not_available


async def forget_full(sessions: Sessions, action: str, burst: int, seconds: float) -> None:
    """Delete the action's buckets that have refilled to a burst."""
    values = {"action": action, "burst": burst, "rate": burst / seconds}
    async with sessions() as session, session.begin():
        await session.execute(_FORGET_FULL, values)
