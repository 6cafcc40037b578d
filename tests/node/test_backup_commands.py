"""`harbour backup` run as an operator runs it: every row crosses between SQLite and
PostgreSQL unchanged, and a node that already holds data is replaced only with --force."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pyrage import x25519

from node.backup_database import TABLES
from node.database import synchronous_engine
from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes

# To an age public key: the passphrase path (scrypt, 256 MiB and ~1 s of CPU each way) is
# tested in tests/scenarios/test_backup.py and tests/node/test_backup_archive.py.
IDENTITY = x25519.Identity.generate()


def every_row(url: str) -> dict[str, list[tuple[object, ...]]]:
    with synchronous_engine(url) as engine, engine.connect() as connection:
        return {
            name: [
                tuple(row)
                for row in connection.execute(sa.select(table).order_by(*table.primary_key))
            ]
            for name, table in TABLES.items()
        }


@pytest.fixture
def other_url(
    database_url: str, sqlite_databases: SQLiteDatabases, postgresql_databases: PostgresDatabases
) -> Iterator[str]:
    """A fresh database on the backend the test's own database is not on."""
    databases = postgresql_databases if database_url.startswith("sqlite") else sqlite_databases
    url = databases.create()
    yield url
    databases.drop(url)


def test_every_row_crosses_to_the_other_database_and_force_replaces_a_node(
    database_url: str, other_url: str, sqlite_databases: SQLiteDatabases, tmp_path: Path
) -> None:
    identity = tmp_path / "identity.txt"
    identity.write_text(f"{IDENTITY}\n")
    to_key = ("--recipient", str(IDENTITY.to_public()))
    source = NodeProcess(free_port(), tmp_path / "source", database_url)
    assert source.run("init").returncode == 0
    source.create_member("alice")
    assert source.run("invite", "create").returncode == 0
    (source.data_dir / "media" / "ab").mkdir(parents=True)
    (source.data_dir / "media" / "ab" / "photo.png").write_bytes(b"\x89PNG pixels")
    backup = tmp_path / "node.backup"
    assert source.run("backup", "create", str(backup), *to_key).returncode == 0

    target = NodeProcess(source.port, tmp_path / "target", other_url)
    restored = target.run("backup", "restore", str(backup), "--identity", str(identity))
    assert restored.returncode == 0, restored.stderr
    assert every_row(other_url) == every_row(database_url)
    assert (target.data_dir / "media" / "ab" / "photo.png").read_bytes() == b"\x89PNG pixels"
    key = (source.data_dir / "secret.key").read_bytes()
    assert (target.data_dir / "secret.key").read_bytes() == key

    busy = NodeProcess(source.port, tmp_path / "busy", sqlite_databases.create())
    assert busy.run("init").returncode == 0
    refused = busy.run("backup", "restore", str(backup), "--identity", str(identity))
    assert refused.stderr == (
        "harbour: the database already holds a node: restore into a new one or --force\n"
    )
    forced = busy.run("backup", "restore", "--force", str(backup), "--identity", str(identity))
    assert forced.returncode == 0, forced.stderr
    assert every_row(busy.database_url) == every_row(database_url)
    assert (busy.data_dir / "secret.key").read_bytes() == key
