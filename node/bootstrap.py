"""First start: the schema, the instance actor, the organisation and the first admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType, generate_keypair
from content import accounts
from content.users import Role, User, add_user
from node.database import session_scope
from node.settings import Settings

FIRST_ADMIN = "admin"


@dataclass(frozen=True)
class Credentials:
    """A login made for a person, to be shown to them once."""

    username: str
    password: str


def new_password() -> str:
    """A random password that is easy to copy from a terminal (no ambiguous symbols)."""
    return secrets.token_urlsafe(15)


async def ensure_node(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> Credentials | None:
    """Create what a node needs and does not have yet. Returns the first admin's login once."""
    async with session_scope(sessions) as session:
        if await accounts.instance_actor(session) is None:  # a key only for a new actor
            await accounts.ensure_instance_actor(
                session,
                base_url=settings.base_url,
                host=settings.domain,
                keypair=generate_keypair(),
            )
        if (
            await accounts.get_local(session, settings.organisation_username, include_gone=True)
            is None
        ):
            await accounts.create_local(
                session,
                base_url=settings.base_url,
                username=settings.organisation_username,
                actor_type=ActorType.ORGANIZATION,
                display_name=settings.organisation_name,
                keypair=generate_keypair(),
            )
        if await session.scalar(select(User).where(User.role == Role.ADMIN).limit(1)):
            return None
        return await _create_first_admin(session, settings)


async def _create_first_admin(session: AsyncSession, settings: Settings) -> Credentials:
    username = FIRST_ADMIN
    while await accounts.get_local(session, username, include_gone=True) is not None:
        username = f"{FIRST_ADMIN}_{secrets.token_hex(2)}"
    account = await accounts.create_local(
        session, base_url=settings.base_url, username=username, keypair=generate_keypair()
    )
    password = new_password()
    add_user(session, account, password, Role.ADMIN)
    return Credentials(username=username, password=password)
