"""A kept PostgreSQL connection backs off while its first statement keeps failing, and
comes back at once after a cut once that statement has worked (`content.kept_connection`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from psycopg import AsyncConnection

from content import kept_connection
from content.kept_connection import keep_connected

pytestmark = pytest.mark.anyio
log = logging.getLogger("harbour.test")
FAILED = "kept: failed (%s); again in %.0f s"
SECONDS = 1.2


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept_connection, "FIRST_RETRY", 0.05)


async def waits(postgres: str, caplog: pytest.LogCaptureFixture, start_fails: bool) -> list[float]:
    """The waits `keep_connected` logged in SECONDS when its start, or else every use after
    a start that worked, fails on the server."""

    async def start(connection: AsyncConnection[Any]) -> None:
        await connection.execute("SELECT 1/0" if start_fails else "SELECT 1")

    async def use(connection: AsyncConnection[Any]) -> None:
        await connection.execute("SELECT 1/0")

    task = asyncio.create_task(keep_connected(postgres, start, use, FAILED, log))
    await asyncio.sleep(SECONDS)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    logged = [r for r in caplog.records if r.name == log.name]
    assert all(r.args and r.args[0] == "DivisionByZero" for r in logged)
    return [float(r.args[1]) for r in logged if isinstance(r.args, tuple)]


@pytest.mark.expect_failures(r"kept: failed \(DivisionByZero\); again in \d+ s")
async def test_a_server_that_fails_the_first_statement_is_asked_less_and_less_often(
    postgres: str, caplog: pytest.LogCaptureFixture
) -> None:
    logged = await waits(postgres, caplog, start_fails=True)
    # The wait begun again at each connection made it 0.05 s every time (22 tries).
    assert len(logged) >= 3
    assert logged == [0.05 * 2**n for n in range(len(logged))]


@pytest.mark.expect_failures(r"kept: failed \(DivisionByZero\); again in 0 s")
async def test_a_connection_cut_after_its_first_statement_worked_is_made_again_at_once(
    postgres: str, caplog: pytest.LogCaptureFixture
) -> None:
    logged = await waits(postgres, caplog, start_fails=False)
    assert len(logged) >= 3
    assert set(logged) == {0.05}
