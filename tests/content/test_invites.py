"""Invites: the only way to register, each code good for its number of uses until it expires."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import accounts, invites, users
from content.accounts import Account, UsernameError
from content.invites import Invite, InviteError
from content.orm import utcnow
from content.users import PasswordError
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.world import PASSWORD

pytestmark = pytest.mark.anyio


async def _invite(
    sessions: async_sessionmaker[AsyncSession],
    max_uses: int = 1,
    lifetime: timedelta = invites.DEFAULT_LIFETIME,
) -> str:
    async with sessions() as session, session.begin():
        return invites.create_invite(session, created_by=None, max_uses=max_uses, lifetime=lifetime)


async def _register(
    session: AsyncSession, code: str, username: str, password: str = PASSWORD
) -> Account:
    return await invites.register(
        session,
        code=code,
        base_url=world.BASE_URL,
        username=username,
        password=password,
        keypair=keypair_for_tests(0),
    )


async def _uses(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return list((await session.scalars(select(Invite.uses))).all())


async def test_only_the_digest_of_a_code_is_stored(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        code = invites.create_invite(session, created_by=ada)
        ada_id = ada.id

    async with sessions() as session:
        invite = await session.scalar(select(Invite))
        assert invite is not None
        assert invite.code_sha256 == hashlib.sha256(code.encode()).hexdigest()
        assert code not in invite.code_sha256
        assert (invite.created_by_id, invite.uses, invite.max_uses) == (ada_id, 0, 1)
        assert abs(invite.expires_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)


async def test_two_invites_have_different_codes(sessions: async_sessionmaker[AsyncSession]) -> None:
    assert await _invite(sessions) != await _invite(sessions)


async def test_an_invite_registers_a_member_who_can_sign_in(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    code = await _invite(sessions)
    async with sessions() as session, session.begin():
        await _register(session, code, "ada")

    async with sessions() as session, session.begin():
        ada = await users.authenticate(session, "ada", PASSWORD)
        assert ada is not None
        assert ada.actor_type == "Person"
        assert ada.manually_approves_followers is True
        login = await users.user_of(session, ada)
        assert login is not None and login.role == "member"
    assert await _uses(sessions) == [1]


async def test_a_used_invite_cannot_register_anyone_else(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    code = await _invite(sessions)
    async with sessions() as session, session.begin():
        await _register(session, code, "ada")

    async with sessions() as session, session.begin():
        with pytest.raises(InviteError, match="^this invite has been used already$"):
            await _register(session, code, "bea")

    async with sessions() as session:
        assert await accounts.get_local(session, "bea") is None
    assert await _uses(sessions) == [1]


async def test_an_invite_for_two_registers_two(sessions: async_sessionmaker[AsyncSession]) -> None:
    code = await _invite(sessions, max_uses=2)
    for username in ("ada", "bea"):
        async with sessions() as session, session.begin():
            await _register(session, code, username)

    async with sessions() as session, session.begin():
        with pytest.raises(InviteError, match="used already"):
            await _register(session, code, "cat")
    assert await _uses(sessions) == [2]


async def test_an_invite_must_allow_a_use(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(InviteError, match="^an invite must allow at least one use$"):
        await _invite(sessions, max_uses=0)
    assert await _uses(sessions) == []


async def test_an_expired_invite_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    code = await _invite(sessions, lifetime=timedelta(seconds=-1))

    async with sessions() as session, session.begin():
        with pytest.raises(InviteError, match="^this invite has expired$"):
            await _register(session, code, "ada")


async def test_an_unknown_code_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    code = await _invite(sessions)

    async with sessions() as session, session.begin():
        for wrong in ("", "made-up", code[:-1], code + "x"):
            with pytest.raises(InviteError, match="^this invite code is not known here$"):
                await _register(session, wrong, "ada")


async def test_a_pasted_code_with_spaces_around_it_works(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    code = await _invite(sessions)

    async with sessions() as session, session.begin():
        await _register(session, f"  {code}\n", "ada")
    assert await _uses(sessions) == [1]


@pytest.mark.parametrize(
    ("username", "password", "error"),
    [
        ("ada", "short", PasswordError),
        ("Ada", PASSWORD, UsernameError),
        ("taken", PASSWORD, UsernameError),
    ],
)
async def test_a_refused_registration_leaves_the_invite_unused(
    sessions: async_sessionmaker[AsyncSession],
    username: str,
    password: str,
    error: type[Exception],
) -> None:
    code = await _invite(sessions)
    async with sessions() as session, session.begin():
        await world.local_member(session, "taken")

    async with sessions() as session, session.begin():
        with pytest.raises(error):
            await _register(session, code, username, password)
    assert await _uses(sessions) == [0]
    async with sessions() as session:
        assert (await session.scalars(select(Account.username))).all() == ["taken"]

    async with sessions() as session, session.begin():
        await _register(session, code, "ada")
    assert await _uses(sessions) == [1]
