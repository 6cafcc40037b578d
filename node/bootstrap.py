"""First start: the schema, the instance actor, the organisation and the first admin."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType, KeyPair, generate_keypair
from content import accounts
from content.accounts import Account
from content.users import Role, User, add_user
from node.database import session_scope
from node.settings import Settings

FIRST_ADMIN = "admin"
_PAIR = re.compile(
    r"(-----BEGIN PRIVATE KEY-----\n.+?-----END PRIVATE KEY-----\n)"
    r"(-----BEGIN PUBLIC KEY-----\n.+?-----END PUBLIC KEY-----\n)",
    re.S,
)


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
    keypairs = _keypairs(settings)
    async with session_scope(sessions) as session:
        if await _has_all(session, settings):
            return None
        if await accounts.instance_actor(session) is None:  # a key only for a new actor
            await accounts.ensure_instance_actor(
                session,
                base_url=settings.base_url,
                host=settings.domain,
                keypair=next(keypairs),
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
                keypair=next(keypairs),
            )
        if await session.scalar(select(User).where(User.role == Role.ADMIN).limit(1)):
            return None
        return await _create_first_admin(session, settings, next(keypairs))


async def _has_all(session: AsyncSession, settings: Settings) -> bool:
    """Whether the node has its instance actor, organisation and an admin (what the checks
    of `ensure_node` look for), in one statement on the tables: selecting the mapped classes
    configures every mapper (~50 ms), which a restart need not wait for."""
    actors, users = Account.__table__.c, User.__table__.c
    local = actors.domain.is_(None)
    found = await session.execute(
        select(
            exists().where(local, actors.actor_type == str(ActorType.APPLICATION)),
            exists().where(local, actors.username == settings.organisation_username.lower()),
            exists().where(users.role == Role.ADMIN),
        )
    )
    return all(found.one())


def _keypairs(settings: Settings) -> Iterator[KeyPair]:
    """Key pairs for new accounts: freshly generated (~40 ms of CPU each), after those of the
    development-only test switch HARBOUR_TEST_KEYPAIRS if it is set."""
    if settings.test_keypairs is not None:
        pairs = _PAIR.findall(settings.test_keypairs.read_text())
        yield from (KeyPair(private_pem=private, public_pem=public) for private, public in pairs)
    while True:
        yield generate_keypair()


async def _create_first_admin(
    session: AsyncSession, settings: Settings, keypair: KeyPair
) -> Credentials:
    username = FIRST_ADMIN
    while await accounts.get_local(session, username, include_gone=True) is not None:
        username = f"{FIRST_ADMIN}_{secrets.token_hex(2)}"
    account = await accounts.create_local(
        session, base_url=settings.base_url, username=username, keypair=keypair
    )
    password = new_password()
    add_user(session, account, password, Role.ADMIN)
    return Credentials(username=username, password=password)
