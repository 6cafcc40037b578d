"""Upgrading a database made by the oldest migration, with a community's data already in it:
`harbour migrate` brings it to head and `harbour serve` serves what was there."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from psycopg import sql
from sqlalchemy import create_engine, text

from activitypub import KeyPair
from node.database import alembic_config, driver_url
from tests.conftest import BACKENDS
from tests.rig.databases import POSTGRES_URL, PostgresDatabases
from tests.rig.keys import keypair_for_tests
from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes
AP = {"Accept": "application/activity+json"}
PASSWORD = "an old password that still works"
WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgresql_databases")
    name = f"harbour_old_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield databases.url_of(name)
    databases.drop(databases.url_of(name))


def oldest_revision() -> str:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    bases = scripts.get_bases()
    assert len(bases) == 1, bases
    return bases[0]


def actor_row(number: int, uri: str, keypair: KeyPair, *, local: bool) -> dict[str, object]:
    """An account row as migration 0001 shaped it."""
    username = uri.rsplit("/", 1)[1]
    return {
        "id": number,
        "username": username,
        "domain": None if local else uri.split("/")[2],
        "name": username.title(),
        "uri": uri,
        **{name: f"{uri}/{name}" for name in ("inbox", "outbox", "followers", "following")},
        "key_id": f"{uri}#main-key",
        "public": keypair.public_pem,
        "private": keypair.private_pem if local else None,
        "approves": local,
        "when": WHEN,
    }


def fill_as_the_oldest_schema_had_it(url: str, base: str) -> None:
    """A member with a login, a remote follower, posts of two kinds and one of the
    follower's, in plain SQL."""
    actor = f"{base}/users/olga"
    far = "https://far.example/users/rita"
    account = (
        "INSERT INTO accounts (id, username, domain, actor_type, display_name, summary_html,"
        " uri, url, inbox_uri, outbox_uri, shared_inbox_uri, followers_uri, following_uri,"
        " featured_uri, key_id, public_key_pem, private_key_pem, manually_approves_followers,"
        " discoverable, created_at) VALUES (:id, :username, :domain, 'Person', :name, '',"
        " :uri, :uri, :inbox, :outbox, NULL, :followers, :following, NULL, :key_id, :public,"
        " :private, :approves, true, :when)"
    )
    post = (
        "INSERT INTO posts (id, account_id, uri, url, content_html, spoiler_text, visibility,"
        " language, created_at) VALUES (:id, :author, :uri, :uri, :html, '', :visibility, 'en',"
        " :when)"
    )
    engine = create_engine(driver_url(url, asynchronous=False))
    with engine.begin() as connection:
        connection.execute(
            text(account),
            [
                actor_row(1001, actor, keypair_for_tests(0), local=True),
                actor_row(1002, far, keypair_for_tests(3), local=False),
            ],
        )
        connection.execute(
            text(
                "INSERT INTO users (account_id, password_hash, role, created_at)"
                " VALUES (1001, :hash, 'member', :when)"
            ),
            {"hash": PasswordHasher().hash(PASSWORD), "when": WHEN},
        )
        connection.execute(
            text(
                "INSERT INTO follows (id, follower_id, followed_id, state, uri, created_at)"
                " VALUES (2001, 1002, 1001, 'accepted', :uri, :when)"
            ),
            {"uri": f"{far}#follows/1", "when": WHEN},
        )
        connection.execute(
            text(post),
            [
                {
                    "id": 3001, "author": 1001, "uri": f"{actor}/statuses/3001",
                    "html": "<p>Our first drop-in was a success</p>", "visibility": "public",
                    "when": WHEN,
                },
                {
                    "id": 3002, "author": 1001, "uri": f"{actor}/statuses/3002",
                    "html": "<p>Only for the people I trust</p>", "visibility": "private",
                    "when": WHEN,
                },
                {
                    "id": 3003, "author": 1002, "uri": f"{far}/statuses/3003",
                    "html": "<p>News from far away</p>", "visibility": "public", "when": WHEN,
                },
            ],
        )  # fmt: skip
    engine.dispose()


def test_an_old_database_with_data_is_upgraded_and_served(
    empty_database: str, tmp_path: Path
) -> None:
    node = NodeProcess(free_port(), tmp_path / "node", empty_database)
    node.extra_env["HARBOUR_AUTHORIZED_FETCH"] = "false"  # the test reads the actor unsigned
    command.upgrade(alembic_config(empty_database), oldest_revision())
    fill_as_the_oldest_schema_had_it(empty_database, node.base_url)

    migrated = node.run("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "The database schema is up to date." in migrated.stdout
    engine = create_engine(driver_url(empty_database, asynchronous=False))
    with engine.connect() as db:  # every server already known was met long ago, and admitted
        met = db.execute(text("SELECT domain, quarantined_until FROM known_servers")).all()
    engine.dispose()
    assert [tuple(row) for row in met] == [("far.example", None)]
    node.start()
    try:
        with closing(node.client()) as http:
            profile = http.get("/@olga")
            assert profile.status_code == 200
            assert "Our first drop-in was a success" in profile.text
            assert "Only for the people I trust" not in profile.text
            document = http.get("/users/olga", headers=AP).json()
            assert document["publicKey"]["publicKeyPem"] == keypair_for_tests(0).public_pem
            followers = http.get("/users/olga/followers", headers=AP).json()
            assert followers["totalItems"] == 1  # counts kept since 0031, backfilled
            outbox = http.get("/users/olga/outbox", headers=AP).json()
            assert outbox["totalItems"] == 1  # the public post; not the followers-only one
            note = http.get("/users/olga/statuses/3001", headers=AP).json()
            assert note["content"] == "<p>Our first drop-in was a success</p>"
            # Posts written here before 0070 are local; the follower's is not.
            local = http.get("/api/v1/timelines/public", params={"local": "true"}).json()
            assert [status["content"] for status in local] == [note["content"]]
            everyone = http.get("/api/v1/timelines/public").json()
            assert {status["id"] for status in everyone} == {"3001", "3003"}
        with closing(node.sign_in("olga", PASSWORD)) as olga:
            home = olga.get("/home").text
            assert "Our first drop-in was a success" in home
            assert "Only for the people I trust" in home
            olga.post("/compose", data={"text": "Still here after the upgrade"})
            assert "Still here after the upgrade" in olga.get("/home").text
    finally:
        node.stop()
