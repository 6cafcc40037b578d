"""Finding accounts by the start of their username, handle or display name."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from activitypub import ActorType
from activitypub.jsonld import has_lone_surrogate
from content.accounts import Account
from content.relationships import Follow


async def by_prefix(
    session: AsyncSession,
    text: str,
    *,
    limit: int,
    offset: int = 0,
    viewer: Account | None = None,
) -> Sequence[Account]:
    """Live local and known remote accounts whose username or display name starts with
    `text` (`name@server` narrows by server too), local ones first. A member who has not
    opted in to being discoverable is found only by her exact username, or by the `viewer`
    if either follows the other (or asked to)."""
    username, _, domain = text.strip().lstrip("@").partition("@")
    if not username or "\x00" in text or has_lone_surrogate(text):
        return []  # no name holds these, and no database takes them (a 500 on PostgreSQL)
    name = _prefix(username)
    query = select(Account).where(
        Account.deleted_at.is_(None),
        Account.suspended_at.is_(None),
        Account.awaiting_approval.is_(False),
        Account.actor_type != str(ActorType.APPLICATION),
        _findable(username, viewer),
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


def _findable(username: str, viewer: Account | None) -> ColumnElement[bool]:
    shown = [
        Account.discoverable.is_(True),
        Account.domain.is_not(None),
        Account.actor_type != str(ActorType.PERSON),
        func.lower(Account.username) == username.lower(),
    ]
    if viewer is not None:
        followed = select(Follow.followed_id).where(Follow.follower_id == viewer.id)
        followers = select(Follow.follower_id).where(Follow.followed_id == viewer.id)
        shown += [Account.id == viewer.id, Account.id.in_(followed), Account.id.in_(followers)]
    return or_(*shown)


def _prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"
