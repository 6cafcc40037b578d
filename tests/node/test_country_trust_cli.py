"""`harbour country-trust`: staff name the organisations they trust for a country, run as
an operator runs it, against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from activitypub import Actor, ActorType, PublicKey
from content import accounts
from node.database import create_engine, create_sessionmaker, session_scope
from tests.rig.keys import keypair_for_tests
from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> NodeProcess:
    return NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=database_url)


def known_here(node: NodeProcess) -> None:
    """rosa (an organisation) and eve (a person) on remote.example, as if followed once."""

    async def store() -> None:
        engine = create_engine(node.database_url)
        try:
            async with session_scope(create_sessionmaker(engine)) as session:
                for name, kind in (("rosa", ActorType.ORGANIZATION), ("eve", ActorType.PERSON)):
                    uri = f"https://remote.example/users/{name}"
                    key = PublicKey(f"{uri}#main-key", uri, keypair_for_tests(3).public_pem)
                    actor = Actor(id=uri, type=kind, preferred_username=name,
                                  inbox=f"{uri}/inbox", outbox=None, public_key=key)  # fmt: skip
                    await accounts.upsert_remote(session, actor, "remote.example")
        finally:
            await engine.dispose()

    asyncio.run(store())


def test_staff_name_and_unname_organisations_for_a_country(node: NodeProcess) -> None:
    assert node.run("init").returncode == 0
    known_here(node)
    assert "No organisation is named" in node.run("country-trust", "list").stdout
    added = node.run("country-trust", "add", "Romania", "rosa@remote.example")
    assert added.returncode == 0, added.stderr
    assert node.run("country-trust", "list").stdout.split() == ["RO", "rosa@remote.example"]

    person = node.run("country-trust", "add", "RO", "eve@remote.example")
    assert person.returncode == 1 and "no organisation known here" in person.stderr
    nowhere = node.run("country-trust", "add", "Atlantis", "rosa@remote.example")
    assert nowhere.returncode == 1 and "'Atlantis' is not a country" in nowhere.stderr

    assert node.run("country-trust", "remove", "ro", "rosa@remote.example").returncode == 0
    again = node.run("country-trust", "remove", "RO", "rosa@remote.example")
    assert again.returncode == 1 and "is not named for RO" in again.stderr
    assert "No organisation is named" in node.run("country-trust", "list").stdout
