"""Shared fixtures: a real database per test, on SQLite and on PostgreSQL, and the check
that fails a test on any failure it did not declare (`tests/rig/strict.py`)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import passwords
from federation.handlers import dispatch
from node.database import create_engine, create_sessionmaker
from tests.rig import nodes, strict
from tests.rig.databases import PostgresDatabases, SQLiteDatabases, postgres_unreachable_reason

BACKENDS = ["sqlite", "postgresql"]
_real_handler_for = dispatch.handler_for


# Tests that start node processes, browsers or client programs take seconds each.
# The benchmarks' tiny runs are the longest modules of all: they go first of all.
SLOW_PLACES = ("tests/benchmarks/", "tests/scenarios/", "tests/interop/", "tests/clients/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, the longest first, so the many quick in-process ones fill each
    worker's end: in collection order a slow test or two came last and held the run up on
    one worker."""
    items.sort(
        key=lambda item: (
            not item.nodeid.startswith(SLOW_PLACES[0]),
            not (item.nodeid.startswith(SLOW_PLACES) or item.get_closest_marker("processes")),
        )
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test that ran node processes shows the end of each node's log, so that a
    failure seen only in CI can be understood from CI's output."""
    report = yield
    if report.failed and call.when == "call":
        for node in _nodes_of(item):
            if node.log_path.exists():
                tail = node.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL:]
                report.sections.append((f"{node.name} serve.log (end)", "\n".join(tail)))
    return report


LOG_TAIL = 80


def _nodes_of(item: pytest.Item) -> list[nodes.NodeProcess]:
    values = getattr(item, "funcargs", {}).values()
    found: list[nodes.NodeProcess] = []
    for value in values:
        candidates = value if isinstance(value, list | tuple) else [value]
        found += [node for node in candidates if isinstance(node, nodes.NodeProcess)]
    return found


def pytest_sessionfinish() -> None:
    """Stop every node a test left running (one that failed or timed out before its own
    clean-up): after a CI run on a loaded machine, two such nodes still served an hour on."""
    for node in nodes.LAUNCHED:
        node.stop()
    nodes.ZYGOTE.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Argon2id as the node uses it, at its smallest cost: every test member's password is hashed,
# and at the node's cost (~150 ms of CPU each) that was minutes of the suite. A hash keeps its
# parameters, so one made here is checked at its own cost; tests of the cost itself
# (test_sign_in_load) hash with content.passwords' own hasher and the node's parameters.
# The nodes the suite starts hash at the same cost (HARBOUR_TEST_QUICK_PASSWORDS), so a
# member made here is not hashed again at the node's cost when she first signs in there.
QUICK_HASHER = passwords.quick_hasher()
nodes.QUICK_SET_UP = True
nodes.FORKED_STARTS = True


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "hasher", QUICK_HASHER)


@pytest.fixture(autouse=True)
def failure_guard(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Fail the test on a failure it did not declare with `expect_failures`: a WARNING or
    ERROR of a `harbour.*` logger here, a crashed inbox item or failed delivery in its
    databases, a WARNING, ERROR or Traceback in a node's serve.log."""
    if os.environ.get("HARBOUR_TEST_HANDLERS_RAISE"):  # prove the tests notice crashes
        monkeypatch.setattr(dispatch, "handler_for", _raising_handler_for)
    handler = strict.LogFailures()
    logger = logging.getLogger("harbour")
    logger.addHandler(handler)
    strict.DROPPED_DATABASE_FAILURES.clear()
    try:
        yield
    finally:
        logger.removeHandler(handler)
    found = [*handler.found, *strict.DROPPED_DATABASE_FAILURES]
    for node in list(nodes.LAUNCHED):
        found += node.new_failures()
        if node.process is None or node.process.poll() is not None:
            nodes.LAUNCHED.remove(node)
    marker = request.node.get_closest_marker("expect_failures")
    bad = strict.unexpected(found, marker.args if marker else ())
    if bad:
        pytest.fail(
            "failures this test does not expect (declare them with "
            "@pytest.mark.expect_failures(regex, ...)):\n" + "\n".join(bad),
            pytrace=False,
        )


def _raising_handler_for(incoming: Any) -> Any:
    async def crash(_incoming: Any) -> None:
        raise RuntimeError("HARBOUR_TEST_HANDLERS_RAISE: every handler raises")

    return crash if _real_handler_for(incoming) is not None else None


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SQLiteDatabases:
    return SQLiteDatabases(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgresql_databases() -> Iterator[PostgresDatabases]:
    reason = postgres_unreachable_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must test PostgreSQL; .ci/run starts it)")
        pytest.skip(f"{reason}; start it to run the PostgreSQL half of the suite")
    databases = PostgresDatabases()
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A freshly migrated, empty database of each backend."""
    databases = request.getfixturevalue(f"{request.param}_databases")
    url = databases.create()
    yield url
    strict.DROPPED_DATABASE_FAILURES.extend(strict.job_failures(url))
    databases.drop(url)


@pytest.fixture
def postgres(postgresql_databases: PostgresDatabases) -> Iterator[str]:
    """A freshly migrated, empty PostgreSQL database, for what runs on PostgreSQL alone."""
    url = postgresql_databases.create()
    yield url
    postgresql_databases.drop(url)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
