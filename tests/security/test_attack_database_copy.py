"""Attack: `harbour database copy-to` beside a running node, and passwords in its output.

The copy read the SQLite database while `harbour serve` kept writing to it, said it was
complete and told the operator to switch: what the node wrote meanwhile was lost. And a
PostgreSQL URL with its password in the query (`?password=`, which libpq takes) was printed
as it was, password and all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from node.database import driver_url, has_secret
from node.database_copy import CopyError, copy
from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes
SECRET = "S3cret-in-the-query"


@pytest.fixture
def target(postgresql_databases: PostgresDatabases) -> Iterator[str]:
    url = postgresql_databases.create_empty()
    yield url
    postgresql_databases.drop(url)


def tables_of(url: str) -> list[str]:
    engine = sa.create_engine(driver_url(url, asynchronous=False), poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_the_copy_refuses_a_running_node_and_never_prints_a_password(
    sqlite_databases: SQLiteDatabases, target: str, tmp_path: Path
) -> None:
    node = NodeProcess(free_port(), tmp_path / "node", sqlite_databases.create())
    with_secret = f"{target}?password={SECRET}"  # trust authentication: the password is unused
    node.start()
    try:
        node.create_member("rosa")
        refused = node.run("database", "copy-to", with_secret, process=True)
    finally:
        node.stop()
    assert refused.returncode == 1
    assert "stop the node first" in refused.stderr
    assert SECRET not in refused.stdout + refused.stderr
    assert tables_of(target) == []  # not even the schema: nothing to clean up before retrying

    copied = node.run("database", "copy-to", with_secret, process=True)
    assert copied.returncode == 0, copied.stderr
    assert "password=***" in copied.stdout and SECRET not in copied.stdout + copied.stderr
    assert "accounts" in tables_of(target)
    assert has_secret(with_secret) and not has_secret(target)


def test_a_wrong_source_path_makes_no_folder(target: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "harbour.db"
    with pytest.raises(CopyError, match="no SQLite database"):
        copy(f"sqlite:///{missing}", target, lambda _line: None)
    assert not missing.parent.exists()
