"""Local logins: password rules, hashing, and who may sign in."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from content import accounts, users
from content.orm import utcnow
from content.users import PasswordError, Role
from tests.rig import world
from tests.rig.world import PASSWORD

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "a password needs at least 10 characters"),
        ("x" * 9, "a password needs at least 10 characters"),
        ("x" * 1025, "a password has at most 1024 characters"),
    ],
)
def test_check_password_explains_the_rules(password: str, message: str) -> None:
    with pytest.raises(PasswordError, match=f"^{message}$"):
        users.check_password(password)


@pytest.mark.parametrize("password", ["x" * 10, "x" * 1024, "ünïcødé 密码 🔑🔑"])
def test_check_password_accepts_ten_to_1024_characters(password: str) -> None:
    assert users.check_password(password) == password


async def test_a_login_stores_an_argon2_hash_and_never_the_password(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await world.local_member(session, "ada", role=Role.MODERATOR)

    async with sessions() as session:
        ada = await accounts.get_local(session, "ada")
        assert ada is not None
        login = await users.user_of(session, ada)
        assert login is not None
        assert login.role == "moderator"
        assert login.password_hash.startswith("$argon2id$")
        assert PASSWORD not in login.password_hash


async def test_a_short_password_gives_no_login(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_actor(session, "ada", ActorType.PERSON)
        with pytest.raises(PasswordError):
            users.add_user(session, ada, "short", Role.MEMBER)
        assert await users.user_of(session, ada) is None


async def test_the_right_password_signs_in_and_a_wrong_one_does_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await world.local_member(session, "ada")
        await world.local_member(session, "bea")

    async with sessions() as session, session.begin():
        signed_in = await users.authenticate(session, "ada", PASSWORD)
        assert signed_in is not None and signed_in.username == "ada"
        assert await users.authenticate(session, "ada", PASSWORD + "!") is None
        assert await users.authenticate(session, "ada", PASSWORD.upper()) is None
        assert await users.authenticate(session, "ada", "") is None
        assert await users.authenticate(session, "nobody", PASSWORD) is None


@pytest.mark.parametrize("typed", ["ADA", "Ada", "  ada  "])
async def test_the_username_is_case_insensitive_and_trimmed_at_sign_in(
    sessions: async_sessionmaker[AsyncSession], typed: str
) -> None:
    async with sessions() as session, session.begin():
        await world.local_member(session, "ada")

    async with sessions() as session, session.begin():
        signed_in = await users.authenticate(session, typed, PASSWORD)
        assert signed_in is not None and signed_in.username == "ada"


async def test_suspended_deleted_and_loginless_accounts_cannot_sign_in(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        accounts.suspend(await world.local_member(session, "bea"))
        (await world.local_member(session, "cat")).deleted_at = utcnow()
        await world.local_actor(session, "talk", ActorType.GROUP)

    async with sessions() as session, session.begin():
        for username in ("bea", "cat", "talk"):
            assert await users.authenticate(session, username, PASSWORD) is None, username


async def test_lifting_a_suspension_lets_the_member_sign_in_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        accounts.suspend(await world.local_member(session, "bea"))

    async with sessions() as session, session.begin():
        bea = await accounts.get_local(session, "bea", include_gone=True)
        assert bea is not None
        accounts.unsuspend(bea)

    async with sessions() as session, session.begin():
        assert await users.authenticate(session, "bea", PASSWORD) is not None


async def test_a_longer_password_that_starts_with_the_right_one_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    longest = "p" * users.MAX_PASSWORD_LENGTH
    async with sessions() as session, session.begin():
        users.add_user(
            session, await world.local_actor(session, "ada", ActorType.PERSON), longest, Role.MEMBER
        )

    async with sessions() as session, session.begin():
        assert await users.authenticate(session, "ada", longest) is not None
        assert await users.authenticate(session, "ada", longest + "wrong") is None
