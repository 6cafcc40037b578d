"""Finding accounts by the start of their username, handle or display name."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from content.accounts import Account


async def by_prefix(
    session: AsyncSession, text: str, *, limit: int, offset: int = 0
) -> Sequence[Account]:
    """Live local and known remote accounts whose username or display name starts with
    `text` (`name@server` narrows by server too), local ones first."""
    username, _, domain = text.strip().lstrip("@").partition("@")
    if not username:
        return []
    name = _prefix(username)
    query = select(Account).where(
        Account.deleted_at.is_(None),
        Account.suspended_at.is_(None),
        Account.awaiting_approval.is_(False),
        Account.actor_type != str(ActorType.APPLICATION),
    )
    if domain:
        query = query.where(
            Account.username.ilike(name, escape="\\"),
            Account.domain.ilike(_prefix(domain), escape="\\"),
        )
    else:
        query = query.where(
            or_(
                Account.username.ilike(name, escape="\\"),
                Account.display_name.ilike(name, escape="\\"),
            )
        )
    query = query.order_by(Account.domain.is_not(None), Account.username, Account.id)
    return (await session.scalars(query.offset(offset).limit(limit))).all()


def _prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"
