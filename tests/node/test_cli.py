"""The `harbour` command, run as an operator runs it, against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import httpx
import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import check_public_pem
from content import accounts, invites, two_factor, users
from content.two_factor import SecretBox
from node.database import create_engine, create_sessionmaker, session_scope
from tests.rig.keys import keypair_for_tests
from tests.rig.nodes import NodeProcess, free_port, read_database

pytestmark = pytest.mark.processes


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> NodeProcess:
    return NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=database_url)


def test_init_creates_the_node_and_prints_the_first_admin_login_once(node: NodeProcess) -> None:
    # As in use: the node generates its own keys and hashes at argon2's full cost.
    node.extra_env.update(HARBOUR_TEST_KEYPAIRS="", HARBOUR_TEST_QUICK_PASSWORDS="")
    first = node.run("init", process=True)  # one real start of the command
    assert first.returncode == 0, first.stderr
    assert f"Sign in at {node.base_url}/login" in first.stdout
    assert "nickname: admin" in first.stdout
    second = node.run("init")
    assert second.returncode == 0 and "password" not in second.stdout

    listing = node.run("account", "list").stdout.split("\n")
    assert any(line.split()[:4] == ["admin", "Person", "admin", "active"] for line in listing)
    assert any(line.split()[:2] == ["organisation", "Organization"] for line in listing)
    assert any(line.split()[:2] == [node.domain, "Application"] for line in listing)

    async def keys(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(accounts.Account.public_key_pem)))

    async def hashes(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(users.User.password_hash)))

    made = read_database(node, keys)
    assert len(made) == len(set(made)) == 3  # a key pair of its own for each first account
    assert all(check_public_pem(pem) for pem in made)
    (admin_hash,) = read_database(node, hashes)
    assert not PasswordHasher().check_needs_rehash(admin_hash)  # argon2's full cost


def test_account_lifecycle(node: NodeProcess) -> None:
    assert node.run("init").returncode == 0
    created = node.run("account", "create", "mira")
    assert created.returncode == 0
    assert f"{node.base_url}/users/mira" in created.stdout and "password:" in created.stdout
    assert node.run("account", "create", "talk", "--kind", "group").returncode == 0
    assert node.run("admin", "grant", "mira", "--role", "staff").returncode == 0
    assert node.run("account", "suspend", "mira").returncode == 0
    assert node.run("account", "password", "mira").stdout.startswith("New password for @mira")

    taken = node.run("account", "create", "mira")
    assert taken.returncode == 1
    assert taken.stderr == "harbour: the username “mira” is taken\n"
    refused = node.run("account", "delete", "mira")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert node.run("account", "delete", "mira", "--yes").returncode == 0
    listing = node.run("account", "list").stdout
    assert any(
        line.split()[:1] == ["mira"] and line.split()[-1] == "deleted"
        for line in listing.splitlines()
    )
    assert node.run("account", "create", "mira").returncode == 1  # the name stays reserved
    assert node.run("admin", "grant", "talk").stderr == (
        "harbour: @talk has no login (it is not a person)\n"
    )


def test_a_command_leaves_the_collector_on_whether_it_worked_or_failed(node: NodeProcess) -> None:
    """`harbour` starts with the collector off (node/cli.py); a command run in this process,
    as the tests run most of them, gives it back on."""
    assert gc.isenabled()
    assert node.run("migrate").returncode == 0
    assert gc.isenabled()
    assert node.run("account", "password", "nobody").returncode == 1
    assert gc.isenabled()


def test_bad_configuration_is_one_line_not_a_traceback(node: NodeProcess) -> None:
    node.extra_env["HARBOUR_DOMAIN"] = "https://wrong.example/"
    result = node.run("init")
    assert result.returncode == 2
    assert result.stderr.startswith("harbour: configuration: HARBOUR_DOMAIN=")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_line(node: NodeProcess) -> None:
    node.database_url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    result = node.run("init")
    assert result.returncode == 1
    assert result.stderr.startswith("harbour: cannot use the database: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("query", "told"),
    [
        ("bogus=1", 'harbour: the database URL: invalid connection option "bogus"'),
        ("connect_timeout=soon", "harbour: the database URL's connect_timeout is not a number"),
        ("port=abc", "harbour: the database URL: Received non-integer port arguments"),
        ("sslmode=wrong", "harbour: cannot use the database: connection is bad: invalid sslmode"),
    ],
)
def test_a_database_url_with_a_bad_option_is_one_line(
    node: NodeProcess, query: str, told: str
) -> None:
    """Each was a traceback (attack10); none shows the password."""
    node.database_url = f"postgresql://postgres:s3cret@127.0.0.1:5432/nothing?{query}"
    result = node.run("migrate")
    assert result.returncode == 1
    assert result.stderr.startswith(told)
    assert result.stderr.count("\n") == 1 and "s3cret" not in result.stderr


def test_an_invite_link_lets_a_newcomer_join_a_running_node(node: NodeProcess) -> None:
    node.start()
    try:
        link = node.run("invite", "create").stdout.split()[0]
        assert link.startswith(f"{node.base_url}/register?invite=")
        with httpx.Client(base_url=node.base_url) as http:
            joined = http.post(
                "/register",
                data={
                    "invite": link.split("=", 1)[1],
                    "username": "nova",
                    "password": "a long passphrase",
                },
            )
            assert joined.status_code == 303
            assert "signed in as <strong>@nova</strong>" in http.get("/").text
    finally:
        node.stop()


def test_domain_blocks_from_the_command_line(node: NodeProcess, tmp_path: Path) -> None:
    assert node.run("init").returncode == 0
    not_a_domain = node.run("domain", "block", "com")
    assert not_a_domain.returncode == 1
    assert "“com” is not a domain such as bad.example" in not_a_domain.stderr
    assert "is not blocked" in node.run("domain", "unblock", "nobody.example").stderr
    shared = tmp_path / "list.csv"
    shared.write_text("spam.example\nhate.example\n")
    dry = node.run("domain", "import", str(shared), "--dry-run")
    assert "2 blocks would be applied (dry run)" in dry.stdout
    assert node.run("domain", "list").stdout == ""
    assert node.run("domain", "import", str(shared)).returncode == 0
    silence = node.run("domain", "block", "loud.example", "--severity", "silence", "--reject-media")
    assert silence.returncode == 0
    assert node.run("domain", "list").stdout.splitlines() == [
        "suspend  hate.example",
        "silence  loud.example reject-media",
        "suspend  spam.example",
    ]


def test_a_locked_out_member_and_newcomers_waiting_for_approval(node: NodeProcess) -> None:
    assert node.run("init").returncode == 0
    asyncio.run(_locked_out_and_waiting(node.database_url, node.base_url))
    states = _states(node)
    assert (states["nova"], states["spam"], states["mira"]) == ("pending", "pending", "active")

    disabled = node.run("account", "disable-2fa", "mira", "--reason", "lost her phone")
    assert disabled.stdout == (
        "Two-factor sign-in is off for @mira; the password alone signs in now.\n"
    )
    assert asyncio.run(_two_factor_of(node.database_url, "mira")) is False
    assert node.run("account", "approve", "nova").stdout == "Approved @nova: it can sign in now.\n"
    assert node.run("account", "reject", "spam", "--reason", "spam").returncode == 0
    states = _states(node)
    assert (states["nova"], states["spam"]) == ("active", "deleted")
    logged = [line.split()[2:] for line in node.run("audit").stdout.splitlines()]
    assert logged == [
        ["command", "line", "account.reject", "@spam", "spam"],
        ["command", "line", "account.approve", "@nova"],
        ["command", "line", "account.disable_2fa", "@mira", "lost", "her", "phone"],
    ]


def _states(node: NodeProcess) -> dict[str, str]:
    rows = [line.split() for line in node.run("account", "list").stdout.splitlines()]
    return {row[0]: row[-1] for row in rows}


async def _locked_out_and_waiting(database_url: str, base_url: str) -> None:
    """mira with two-factor sign-in on; nova and spam joined while approval is required."""
    engine = create_engine(database_url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            mira = await accounts.create_local(
                session, base_url=base_url, username="mira", keypair=keypair_for_tests(0)
            )
            user = users.add_user(session, mira, "a long passphrase", users.Role.MEMBER)
            await session.flush()
            box = SecretBox("a-test-secret-key-that-is-long-enough-0123456789")
            secret = two_factor.start_setup(user, box)
            await two_factor.enable(session, user, box, pyotp.TOTP(secret).now())
            for name in ("nova", "spam"):
                await invites.register(
                    session,
                    code=invites.create_invite(session, created_by=None),
                    base_url=base_url,
                    username=name,
                    password="a long passphrase",
                    keypair=keypair_for_tests(0),
                    approval_required=True,
                )
    finally:
        await engine.dispose()


async def _two_factor_of(database_url: str, username: str) -> bool:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            account = await accounts.get_local(session, username)
            user = await users.user_of(session, account) if account else None
            assert user is not None
            return user.has_two_factor
    finally:
        await engine.dispose()


def test_discussion_groups_from_the_command_line(node: NodeProcess) -> None:
    assert node.run("init").returncode == 0
    assert node.run("account", "create", "mira").returncode == 0
    created = node.run("group", "create", "talk", "--title", "Talk", "--visibility", "members")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"Created group talk@{node.domain} (members): ")
    assert (
        node.run("group", "moderator", "add", "talk", "mira").stdout
        == "@mira now moderates talk.\n"
    )
    assert node.run("group", "moderator", "add", "mira", "mira").stderr == (
        "harbour: @mira is not a group of this node\n"
    )
    assert "taken by a page" in node.run("group", "create", "new").stderr
    assert "group.moderator_add" in node.run("audit").stdout


def test_lockdown_from_the_command_line_is_audited(node: NodeProcess) -> None:
    assert node.run("init").returncode == 0
    turned = node.run("lockdown", "on", "--reason", "a raid from three servers")
    assert turned.returncode == 0 and turned.stdout.startswith("Lockdown is on:"), turned.stderr
    assert node.run("lockdown", "status").stdout.startswith("Lockdown is on:")
    assert node.run("lockdown", "off").stdout.startswith("Lockdown is off:")
    assert node.run("lockdown", "status").stdout.startswith("Lockdown is off:")
    log = node.run("audit").stdout
    assert "lockdown on" in log and "a raid from three servers" in log and "lockdown off" in log


def test_a_node_setting_changes_from_the_command_line_as_from_the_admin_page(
    node: NodeProcess,
) -> None:
    assert node.run("init").returncode == 0
    assert node.run("setting", "registration-approval", "status").stdout == (
        "registration-approval is off.\n"
    )
    turned = node.run("setting", "registration-approval", "on")
    assert turned.stdout == "registration-approval is on.\n", turned.stderr
    assert node.run("setting", "registration-approval", "status").stdout.endswith("is on.\n")
    assert "registration_approval on" in node.run("audit").stdout
