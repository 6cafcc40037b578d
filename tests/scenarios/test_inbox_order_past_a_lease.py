"""Two `harbour worker` processes on one PostgreSQL database, and a server whose notes come
only by id and take long to fetch, each followed by its Delete: its Creates are applied one
at a time, together past a claim's lease (5 minutes; 9 s here, scaled by
HARBOUR_TEST_RETRY_SCALE). Nothing renewed the lease: once it ran out while the first worker
still fetched a note, the other worker claimed the rest of the server's items (the one
being applied, locked, was skipped) and applied that note's Delete first, with nothing to
delete yet; the note then stayed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.posts import Post
from tests.rig.listeners import LoopbackServer, answer_document
from tests.rig.nodes import Replica, free_port, read_database, wait_for
from tests.rig.signing import mention
from tests.scenarios.test_inbox_order_across_workers import arrive, known_eve
from tests.scenarios.test_inbox_order_across_workers import node as node  # the fixture
from tests.scenarios.test_several_processes import job_states

pytestmark = pytest.mark.processes
FETCH_SECONDS = 2.0  # each note (twice that if its item is applied again): the lease, 9 s,
PAIRS = 6  # runs out during a later one's fetch
LEASE_SCALE = "0.03"  # a claim's lease of 9 s: half of it outlasts a note fetched twice


@pytest.fixture
def quick_leases(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A claim's lease of 9 s (5 minutes scaled), for the processes started after."""
    monkeypatch.setenv("HARBOUR_TEST_RETRY_SCALE", LEASE_SCALE)
    yield


class Eve:
    """eve, on a server that serves her notes (each mentioning `member`) after FETCH_SECONDS."""

    def __init__(self, port: int) -> None:
        self.uri = f"http://127.0.0.1:{port}/users/eve"
        self.member = ""


@pytest.fixture
def eve() -> Iterator[Eve]:
    port = free_port()
    eve = Eve(port)

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            number = int(self.path.rsplit("/", 1)[-1])
            note = mention(eve.uri, number, eve.member)["object"]
            time.sleep(FETCH_SECONDS)
            answer_document(self, json.dumps(note).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = LoopbackServer(("127.0.0.1", port), Slow)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield eve
    server.shutdown()
    server.server_close()
    thread.join()


def by_id(eve: str, number: int) -> dict[str, object]:
    """eve's Create of note `number`, the note given by id only (fetched from her server)."""
    return {"id": f"{eve}/statuses/{number}/activity", "type": "Create", "actor": eve,
            "object": f"{eve}/statuses/{number}"}  # fmt: skip


def delete(eve: str, number: int) -> dict[str, object]:
    note = f"{eve}/statuses/{number}"
    return {"id": f"{note}#delete", "type": "Delete", "actor": eve, "object": note}


async def arrive_in_order(session: AsyncSession, eve: str) -> None:
    """PAIRS notes by id, each followed by its Delete, as eve's due inbox items, announced."""
    activities = [each for n in range(PAIRS) for each in (by_id(eve, n), delete(eve, n))]
    await arrive(session, await known_eve(session, eve), activities)


def test_a_hosts_items_stay_in_order_when_applying_them_outlasts_the_lease(
    quick_leases: None, node: list[Replica], eve: Eve
) -> None:
    web = node[0]
    web.create_member("sam")
    eve.member = f"{web.base_url}/users/sam"
    read_database(web, lambda session: arrive_in_order(session, eve.uri))
    wait_for(
        lambda: job_states(web, "inbox_items") == {"applied": 2 * PAIRS},
        timeout=60,
        what="every item applied",
    )

    async def kept(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(Post.uri).order_by(Post.uri)))

    assert read_database(web, kept) == []  # each stored (applied, not dropped), then deleted
