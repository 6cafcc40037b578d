"""Real Harbour nodes on loopback, each with its own database, port and host name.

`fleet` is a test's own; `shared_fleet` is one module's, for tests that change no node's
policy (they use distinct usernames). `@pytest.mark.fleet(size=2)` starts fewer nodes than
the three (on a module's `pytestmark` for `shared_fleet`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.fleets import NAMES, Fleet
from tests.rig.nodes import NodeProcess
from tests.rig.strict import unexpected


def _size(request: pytest.FixtureRequest) -> int:
    marker = request.node.get_closest_marker("fleet")
    return int(marker.kwargs.get("size", 3)) if marker else 3


def _unsigned(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("unsigned_fetches") is not None


@pytest.fixture
def fleet_names() -> tuple[str, ...]:
    """The host names of nodes A, B and C; a test module may name them otherwise."""
    return NAMES


@pytest.fixture
def fleet(
    request: pytest.FixtureRequest,
    fleet_names: tuple[str, ...],
    sqlite_databases: SQLiteDatabases,
    postgresql_databases: PostgresDatabases,
    tmp_path: Path,
) -> Iterator[list[NodeProcess]]:
    """Nodes A and C on SQLite, B on PostgreSQL, federating openly with each other, with
    authorized fetch on (the default) unless the test is marked `unsigned_fetches`. An
    indirect parameter gives node A more settings (`HARBOUR_*` variables)."""
    settings_of_a: dict[str, str] = getattr(request, "param", {})
    nodes = Fleet(
        tmp_path,
        sqlite_databases,
        postgresql_databases,
        _size(request),
        settings_of_a,
        all_names=fleet_names,
        unsigned_fetches=_unsigned(request),
    )
    try:
        yield nodes.start()
    finally:
        nodes.stop()


@pytest.fixture(scope="module")
def shared_fleet(
    request: pytest.FixtureRequest,
    sqlite_databases: SQLiteDatabases,
    postgresql_databases: PostgresDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[NodeProcess]]:
    """One fleet for a whole module, started once: for tests that change no node's policy."""
    folder = tmp_path_factory.mktemp("fleet")
    nodes = Fleet(
        folder,
        sqlite_databases,
        postgresql_databases,
        _size(request),
        unsigned_fetches=_unsigned(request),
    )
    try:
        yield nodes.start()
    finally:
        nodes.stop()
    late = unexpected([f for node in nodes.nodes for f in node.new_failures()], ())
    assert not late, "failures after the module's last test:\n" + "\n".join(late)
