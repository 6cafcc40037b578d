"""Issue 12, finding 4: one unauthenticated request must not freeze the node.

The attack: an inbox POST whose keyId names an actor on a hostile server, whose profile is
20,000 nested tags. Looking up the key fetches and stores that actor before the signature
is checked; with bleach on the event loop that took seconds per request, during which the
node answered nobody.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from activitypub import Actor, ActorType, PublicKey
from tests.rig.keys import keypair_for_tests
from tests.rig.listeners import LoopbackServer, answer_document
from tests.rig.nodes import NodeProcess, free_port, open_node
from tests.rig.signing import signed_post

pytestmark = pytest.mark.processes
NESTED_TAGS = 20_000


class HostileServer:
    """An actor document full of nested tags, served on loopback; counts how often."""

    def __init__(self, port: int, document: dict[str, object]) -> None:
        body = json.dumps(document).encode()
        self.served = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                answer_document(self, body)
                owner.served += 1

            def log_message(self, *args: object) -> None:
                pass

        self.server = LoopbackServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[NodeProcess]:
    node = open_node(
        database_url, tmp_path / "node", "alice", HARBOUR_DEV_HOSTS="hostile.test=127.0.0.1"
    )
    yield node
    node.stop()


def test_the_node_answers_within_100_ms_while_a_nested_tag_profile_is_handled(
    node: NodeProcess,
) -> None:
    port = free_port()
    eve = f"http://hostile.test:{port}/users/eve"
    actor = Actor(
        id=eve,
        type=ActorType.PERSON,
        preferred_username="eve",
        inbox=f"{eve}/inbox",
        outbox=f"{eve}/outbox",
        summary="<b>" * NESTED_TAGS + "x" + "</b>" * NESTED_TAGS,
        public_key=PublicKey(f"{eve}#main-key", eve, keypair_for_tests(0).public_pem),
    )
    hostile = HostileServer(port, actor.to_document())
    activity = {"id": f"{eve}/follow/1", "type": "Follow", "actor": eve,
                "object": f"{node.base_url}/users/alice"}  # fmt: skip
    # Signed with another key: the request is not authentic, but its key must be looked up.
    headers, body = signed_post(
        "/users/alice/inbox",
        activity,
        host=node.domain,
        key_id=f"{eve}#main-key",
        private_pem=keypair_for_tests(1).private_pem,
    )
    answers: list[int] = []
    stop = threading.Event()

    def attack() -> None:
        with node.client() as client:
            while not stop.is_set():
                answer = client.post("/users/alice/inbox", content=body, headers=headers)
                answers.append(answer.status_code)

    attacker = threading.Thread(target=attack)
    attacker.start()
    try:
        deadline = time.monotonic() + 60
        while hostile.served == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hostile.served, "the node never fetched the hostile actor"
        latencies = []
        with node.client() as client:
            # Seven answers at the least, and more until the attack has been served twice: on
            # a loaded machine its second fetch came after the seventh answer.
            while len(latencies) < 7 or (hostile.served < 2 and time.monotonic() < deadline):
                started = time.perf_counter()
                assert client.get("/.well-known/nodeinfo").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.05)
        served_meanwhile = hostile.served
    finally:
        stop.set()
        attacker.join(timeout=120)
        hostile.server.shutdown()
        hostile.server.server_close()

    assert statistics.median(latencies) < 0.1, latencies
    assert served_meanwhile >= 2, "the attack was not under way while the node was timed"
    assert answers and all(400 <= status < 500 for status in answers), answers  # refused
