"""The worker in a serving process makes way for inbox POSTs (`content.foreground`), but
never stops: on a real node process flooded by a hostile server's signed POSTs, while
other POSTs are held in flight throughout (each signed with a new key on a server that
never answers its fetch, so some request is always being served), the flood's own items
are applied while it goes on (the worker is slowed, not starved), every POST of the flood
is answered, and one sent in the middle of the flood is applied before the flood ends.
(A give-way that waited for no request in flight, instead of at most 50 ms a session,
applied nothing until the flood ended.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.inbox import InboxItem
from tests.rig.keys import keypair_for_tests
from tests.rig.listeners import LoopbackServer
from tests.rig.nodes import NodeProcess, loopback_client, read_database
from tests.rig.signing import signed_post
from tests.scenarios.test_verdict_races import flood, key_of, like

pytestmark = pytest.mark.processes
SENDERS = 6
HELD = 3  # POSTs kept in flight at once
FLOOD_SECONDS = 8.0
MANY = 50  # POSTs of the flood at the least before its middle one is sent


@contextmanager
def server_that_never_answers() -> Iterator[str]:
    """A server on loopback whose every GET hangs until it is closed; its base URL."""
    closing = threading.Event()

    class Hang(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            closing.wait(60)
            with suppress(OSError):  # the node gave up first
                self.send_error(404)

        def log_message(self, *_: object) -> None:
            pass

    server = LoopbackServer(("127.0.0.1", 0), Hang)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        closing.set()
        server.shutdown()
        server.server_close()


def hold_in_flight(target: NodeProcess, hanging: str, stop: threading.Event, n: int) -> None:
    """POSTs signed with keys the target must fetch from `hanging`, one after another: each
    is served (key fetch and all) until the target's transport gives up."""
    actor = f"{hanging}/users/ghost{n}"
    private_pem = keypair_for_tests(3).private_pem  # any key: its fetch never ends
    with loopback_client(base_url=f"http://127.0.0.1:{target.port}", timeout=60) as http:
        number = 0
        while not stop.is_set():
            number += 1
            activity = {"id": f"{actor}/likes/{number}", "type": "Like", "actor": actor,
                        "object": f"{target.base_url}/users/tina"}  # fmt: skip
            headers, body = signed_post(
                "/inbox", activity, host=target.domain, key_id=f"{actor}#key-{number}",
                private_pem=private_pem,
            )  # fmt: skip
            http.post("/inbox", content=body, headers=headers)


def applied(node: NodeProcess) -> int:
    """How many inbox items the node has applied (or ignored) so far."""

    async def read(session: AsyncSession) -> int:
        done = InboxItem.state.in_(("applied", "ignored"))
        return int(await session.scalar(select(func.count()).where(done)) or 0)

    return read_database(node, read)


def received(node: NodeProcess) -> int:
    """How many inbox items the node has stored, in any state."""

    async def read(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(InboxItem)) or 0)

    return read_database(node, read)


def state_of(node: NodeProcess, activity_id: str) -> str | None:
    async def read(session: AsyncSession) -> str | None:
        query = select(InboxItem.state).where(InboxItem.activity_id == activity_id)
        return await session.scalar(query)

    return read_database(node, read)


@pytest.mark.fleet(size=2)
def test_a_flooded_node_answers_every_post_and_its_worker_keeps_applying(
    fleet: list[NodeProcess],
) -> None:
    target, sender = fleet
    target.create_member("tina")
    sender.create_member("hank")
    hank = key_of(sender, "hank")
    with loopback_client(base_url=f"http://127.0.0.1:{target.port}", timeout=30) as http:
        assert like(http, target, hank, "first").status == 202  # key known
    stop = threading.Event()
    with server_that_never_answers() as hanging, ThreadPoolExecutor(SENDERS + HELD) as pool:
        held = [pool.submit(hold_in_flight, target, hanging, stop, n) for n in range(HELD)]
        floods = [pool.submit(flood, target, hank, stop, n) for n in range(SENDERS)]
        # The flood is under way: some time has passed and its POSTs are many (on a
        # loaded machine a few seconds may bring only a few dozen).
        time.sleep(FLOOD_SECONDS / 4)
        deadline = time.monotonic() + FLOOD_SECONDS
        while received(target) <= MANY + 1 and time.monotonic() < deadline:  # and the first
            time.sleep(0.2)
        early = applied(target)
        with loopback_client(base_url=f"http://127.0.0.1:{target.port}", timeout=30) as http:
            marked = like(http, target, hank, "in-the-middle")
        assert marked.status == 202
        deadline = time.monotonic() + FLOOD_SECONDS
        while state_of(target, marked.activity_id) != "applied" and time.monotonic() < deadline:
            time.sleep(0.2)
        middle_applied = state_of(target, marked.activity_id)
        late = applied(target)
        flooding = not any(f.done() for f in (*floods, *held))
        stop.set()
        sent = [s for f in floods for s in f.result()]
    assert flooding  # every sender was still sending when the worker's progress was read
    assert len(sent) > MANY and {s.status for s in sent} == {202}
    assert middle_applied == "applied"  # applied while the flood went on
    assert late > early  # the worker applied the flood's items during the flood
