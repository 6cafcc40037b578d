"""Local accounts: username rules, where a local actor lives, and who is shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import Actor, ActorType, PublicKey
from content import accounts
from content.accounts import Account, UsernameError
from content.orm import utcnow
from tests.rig import world
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
BASE = world.BASE_URL
RULES = "a username is 1 to 30 characters: lower-case letters a-z, digits and underscores"


async def test_a_member_is_stored_with_its_endpoints_and_key(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await accounts.create_local(
            session, base_url=BASE, username="ada", keypair=keypair_for_tests(0), display_name="A"
        )

    async with sessions() as session:
        ada = await accounts.get_local(session, "ada")
        assert ada is not None
        assert ada.is_local and not ada.is_gone
        assert ada.actor_type == "Person"
        assert ada.display_name == "A"
        assert ada.uri == f"{BASE}/users/ada"
        assert ada.url == f"{BASE}/@ada"
        assert ada.inbox_uri == f"{BASE}/users/ada/inbox"
        assert ada.outbox_uri == f"{BASE}/users/ada/outbox"
        assert ada.shared_inbox_uri == f"{BASE}/inbox"
        assert ada.followers_uri == f"{BASE}/users/ada/followers"
        assert ada.following_uri == f"{BASE}/users/ada/following"
        assert ada.featured_uri == f"{BASE}/users/ada/collections/featured"
        assert ada.key_id == f"{BASE}/users/ada#main-key"
        assert ada.public_key_pem == keypair_for_tests(0).public_pem
        assert ada.private_key_pem == keypair_for_tests(0).private_pem


async def test_members_approve_followers_and_organisations_and_groups_do_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await world.local_member(session, "ada")
        await world.local_actor(session, "outreach", ActorType.ORGANIZATION)
        await world.local_actor(session, "talk", ActorType.GROUP)

    async with sessions() as session:
        rows = (await session.scalars(select(Account).order_by(Account.username))).all()
        assert [
            (a.username, a.actor_type, a.manually_approves_followers, a.discoverable) for a in rows
        ] == [
            ("ada", "Person", True, False),
            ("outreach", "Organization", False, True),
            ("talk", "Group", False, True),
        ]


@pytest.mark.parametrize("actor_type", [ActorType.APPLICATION, ActorType.SERVICE])
async def test_only_people_organisations_and_groups_are_created_locally(
    sessions: async_sessionmaker[AsyncSession], actor_type: ActorType
) -> None:
    async with sessions() as session, session.begin():
        with pytest.raises(ValueError, match="local accounts are one of Person, Organization"):
            await world.local_actor(session, "bot", actor_type)


@pytest.mark.parametrize("username", ["a", "ada_2", "0" * 30])
def test_check_username_accepts_lower_case_letters_digits_and_underscores(username: str) -> None:
    assert accounts.check_username(username) == username


@pytest.mark.parametrize(
    "username", ["", "Ada", "ADA", "a" * 31, "ada lovelace", "ada-l", "ada.l", "élise", "ada\nbea"]
)
def test_check_username_explains_the_rules(username: str) -> None:
    with pytest.raises(UsernameError) as error:
        accounts.check_username(username)
    assert str(error.value) == RULES


def test_check_username_refuses_a_trailing_newline() -> None:
    with pytest.raises(UsernameError):
        accounts.check_username("ada\n")


@pytest.mark.parametrize("username", ["inbox", "users", "login", "actor", "nodeinfo"])
def test_reserved_usernames_are_refused(username: str) -> None:
    with pytest.raises(UsernameError, match=f"^the username “{username}” is reserved$"):
        accounts.check_username(username)


async def test_an_uppercase_or_reserved_username_creates_no_account(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        for username in ("Ada", "inbox"):
            with pytest.raises(UsernameError):
                await world.local_member(session, username)

    async with sessions() as session:
        assert (await session.scalars(select(Account))).all() == []


async def test_a_username_is_taken_by_a_live_suspended_or_deleted_account(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await world.local_member(session, "ada")
        accounts.suspend(await world.local_member(session, "bea"))
        (await world.local_member(session, "cat")).deleted_at = utcnow()
        await world.local_actor(session, "talk", ActorType.GROUP)

    for username in ("ada", "bea", "cat", "talk"):
        async with sessions() as session, session.begin():
            with pytest.raises(UsernameError, match=f"^the username “{username}” is taken$"):
                await world.local_actor(session, username, ActorType.ORGANIZATION)


async def test_the_same_username_on_another_server_does_not_take_a_local_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        session.add(_remote_account("ada", "social.example"))
        await session.flush()
        await world.local_member(session, "ada")

    async with sessions() as session:
        local = await accounts.get_local(session, "ada")
        assert local is not None and local.uri == f"{BASE}/users/ada"


async def test_get_local_ignores_case_and_hides_gone_accounts_unless_asked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await world.local_member(session, "ada")
        accounts.suspend(await world.local_member(session, "bea"))
        (await world.local_member(session, "cat")).deleted_at = utcnow()
        session.add(_remote_account("dan", "social.example"))

    async with sessions() as session:
        ada = await accounts.get_local(session, "ADA")
        assert ada is not None and ada.username == "ada"
        assert await accounts.get_local(session, "bea") is None
        assert await accounts.get_local(session, "cat") is None
        assert await accounts.get_local(session, "dan") is None
        bea = await accounts.get_local(session, "bea", include_gone=True)
        cat = await accounts.get_local(session, "cat", include_gone=True)
        assert bea is not None and bea.is_gone
        assert cat is not None and cat.is_gone


async def test_count_local_counts_live_local_actors_of_one_type(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await world.local_member(session, "ada")
        await world.local_member(session, "bea")
        accounts.suspend(await world.local_member(session, "cat"))
        (await world.local_member(session, "dan")).deleted_at = utcnow()
        await world.local_actor(session, "talk", ActorType.GROUP)
        session.add(_remote_account("eve", "social.example"))

    async with sessions() as session:
        assert await accounts.count_local(session, ActorType.PERSON) == 2
        assert await accounts.count_local(session, ActorType.GROUP) == 1
        assert await accounts.count_local(session, ActorType.ORGANIZATION) == 0


async def test_a_suspension_hides_the_account_until_it_is_lifted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        accounts.suspend(ada)
        first = ada.suspended_at
        accounts.suspend(ada)
        assert ada.suspended_at == first  # suspending again keeps the original date

    async with sessions() as session, session.begin():
        assert await accounts.get_local(session, "ada") is None
        suspended = await accounts.get_local(session, "ada", include_gone=True)
        assert suspended is not None
        accounts.unsuspend(suspended)

    async with sessions() as session:
        found = await accounts.get_local(session, "ada")
        assert found is not None and not found.is_gone


async def test_the_instance_actor_is_created_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        assert await accounts.instance_actor(session) is None
        created = await accounts.ensure_instance_actor(
            session, base_url=BASE, host="harbour.test", keypair=keypair_for_tests(1)
        )
        created_id = created.id

    async with sessions() as session, session.begin():
        again = await accounts.ensure_instance_actor(
            session, base_url=BASE, host="harbour.test", keypair=keypair_for_tests(0)
        )
        assert again.id == created_id
        assert again.actor_type == "Application"
        assert again.uri == f"{BASE}/actor"
        assert again.url == f"{BASE}/about"
        assert again.inbox_uri == f"{BASE}/actor/inbox"
        assert again.key_id == f"{BASE}/actor#main-key"
        assert again.public_key_pem == keypair_for_tests(1).public_pem
        assert again.followers_uri is None
        assert await accounts.count_local(session, ActorType.APPLICATION) == 1


def _remote_account(username: str, domain: str) -> Account:
    uri = f"https://{domain}/users/{username}"
    return Account(
        username=username,
        domain=domain,
        actor_type="Person",
        uri=uri,
        url=f"https://{domain}/@{username}",
        inbox_uri=f"{uri}/inbox",
        outbox_uri=f"{uri}/outbox",
        key_id=f"{uri}#main-key",
        public_key_pem=keypair_for_tests(1).public_pem,
    )


async def test_two_requests_storing_the_same_new_actor_at_once_both_get_its_row(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member's follow and the worker's inbox item fetch the same new actor: the second to
    insert it refreshes the row the first stored (it did 500 before)."""
    uri = "https://remote.example/users/eve"
    key = PublicKey(id=f"{uri}#main-key", owner=uri, pem=keypair_for_tests(3).public_pem)
    actor = Actor(uri, ActorType.PERSON, "eve", f"{uri}/inbox", None, key)
    async with sessions() as session, session.begin():
        first = await accounts.upsert_remote(session, actor, "remote.example")
    looked_up = accounts.get_by_uri
    calls = []

    async def looked_before_the_other_stored_it(session: AsyncSession, wanted: str) -> object:
        calls.append(wanted)
        return None if len(calls) == 1 else await looked_up(session, wanted)

    monkeypatch.setattr(accounts, "get_by_uri", looked_before_the_other_stored_it)
    async with sessions() as session, session.begin():
        second = await accounts.upsert_remote(session, actor, "remote.example")
        assert second.id == first.id and second.username == "eve"
    async with sessions() as session:
        assert len((await session.scalars(select(Account).where(Account.uri == uri))).all()) == 1
