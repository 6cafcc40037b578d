"""Two `harbour serve` processes of one node on one PostgreSQL database: both serve, each sees
the other's writes, and their two workers deliver and apply every job exactly once."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from content.orm import new_id, utcnow
from content.relationships import Follow, FollowState
from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.keys import keypair_for_tests
from tests.rig.listeners import LoopbackServer
from tests.rig.nodes import NodeProcess, Replica, free_port, read_database, wait_for

pytestmark = pytest.mark.processes
SINKS = 24  # remote servers, one follower of sam's on each
POSTS = 6  # sam's posts, written alternately through either process
MENTIONS = 6  # posts from the peer that mention sam


class Sink:
    """Every remote follower's server: answers 202 and counts what each host receives."""

    def __init__(self) -> None:
        received: Counter[tuple[str, str]] = Counter()
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                body = self.rfile.read(int(self.headers["content-length"]))
                received[(self.headers["host"], json.loads(body)["id"])] += 1
                self.send_response(202)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    found = Sink()
    yield found
    found.close()


@pytest.fixture
def shared_node(
    sqlite_databases: SQLiteDatabases,
    postgresql_databases: PostgresDatabases,
    sink: Sink,
    tmp_path: Path,
) -> Iterator[tuple[NodeProcess, NodeProcess, NodeProcess]]:
    """Node S as two processes (one database, one data folder) and a peer node P."""
    s_port, p_port = free_port(), free_port()
    sinks = [f"sink-{number:02d}.test" for number in range(SINKS)]
    hosts = ",".join(f"{name}=127.0.0.1" for name in ["node-s.test", "node-p.test", *sinks])
    shared = postgresql_databases.create()
    first = Replica(s_port, tmp_path / "s", shared, name="node-s.test", public_port=s_port)
    second = Replica(free_port(), tmp_path / "s", shared, name="node-s.test", public_port=s_port)
    peer = NodeProcess(p_port, tmp_path / "p", sqlite_databases.create(), name="node-p.test")
    for node in (first, second, peer):
        node.extra_env.update(HARBOUR_DEV_HOSTS=hosts, HARBOUR_FEDERATION_MODE="open")
    first.start()  # the first sets the database up; then the others start together
    second.launch()
    peer.launch()
    deadline = time.perf_counter() + 90
    second.wait_until_serving(deadline)
    peer.wait_until_serving(deadline)
    yield first, second, peer
    for node in (first, second, peer):
        node.stop()
    postgresql_databases.drop(shared)
    sqlite_databases.drop(peer.database_url)


def add_remote_followers(node: NodeProcess, username: str, sink: Sink) -> None:
    """One follower of `username` on each sink server, as rows a follow would leave."""
    now = utcnow()
    pem = keypair_for_tests(5).public_pem

    async def write(session: AsyncSession) -> None:
        followed = await session.scalar(
            text("SELECT id FROM accounts WHERE username = :u AND domain IS NULL"),
            {"u": username},
        )
        for number in range(SINKS):
            host = f"sink-{number:02d}.test:{sink.port}"
            uri = f"http://{host}/users/f"
            account_id = new_id()
            await session.execute(
                insert(Account).values(
                    id=account_id,
                    username="f",
                    domain=host,
                    actor_type="Person",
                    uri=uri,
                    url=uri,
                    inbox_uri=f"{uri}/inbox",
                    shared_inbox_uri=f"http://{host}/inbox",
                    key_id=f"{uri}#main-key",
                    public_key_pem=pem,
                    created_at=now,
                    fetched_at=now,
                )
            )
            await session.execute(
                insert(Follow).values(
                    id=new_id(),
                    follower_id=account_id,
                    followed_id=followed,
                    state=FollowState.ACCEPTED,
                    uri=f"{uri}#follow",
                    created_at=now,
                )
            )
        await session.commit()

    read_database(node, write)


def job_states(node: NodeProcess, table: str) -> Counter[str]:
    async def read(session: AsyncSession) -> Counter[str]:
        rows = await session.execute(text(f"SELECT state, count(*) FROM {table} GROUP BY state"))
        return Counter({str(state): int(count) for state, count in rows})

    return read_database(node, read)


def settled(*nodes: NodeProcess) -> bool:
    return all(
        not {"queued", "retry"} & set(job_states(node, table))
        for node in nodes
        for table in ("deliveries", "inbox_items")
    )


def accepted_follows(node: NodeProcess) -> int:
    async def read(session: AsyncSession) -> int:
        found = await session.scalar(text("SELECT count(*) FROM follows WHERE state = 'accepted'"))
        return int(found or 0)

    return read_database(node, read)


def compose(web: httpx.Client, words: str) -> None:
    response = web.post("/compose", data={"text": words, "visibility": "public"})
    assert response.headers["location"] == "/home", response.headers["location"]


def shown(page: str) -> str:
    """The page as read, without its edit boxes (which hold the author's own posts' text)."""
    return re.sub(r"<textarea[^>]*>.*?</textarea>", "", page, flags=re.S)


def test_two_processes_share_one_database(
    shared_node: tuple[NodeProcess, NodeProcess, NodeProcess], sink: Sink
) -> None:
    first, second, peer = shared_node
    password = first.create_member("sam")
    add_remote_followers(first, "sam", sink)
    with (
        closing(first.sign_in("sam", password)) as sam_first,
        closing(second.sign_in("sam", password)) as sam_second,
        closing(peer.sign_in("pia", peer.create_member("pia"))) as pia,
    ):
        # Both serve; a follow request arriving through one is answered through the other.
        pia.post("/follow", data={"handle": f"sam@{first.domain}"})
        wait_for(lambda: "1 follow request" in sam_second.get("/home").text, what="the request")
        request_id = re.findall(
            r"/follow-requests/(\d+)/accept", sam_first.get("/follow-requests").text
        )
        sam_second.post(f"/follow-requests/{request_id[0]}/accept")
        wait_for(lambda: accepted_follows(peer) == 1, what="pia's follow accepted")
        wait_for(lambda: settled(first, peer), what="the Accept delivered")

        # Posts written through either process go out once to every follower's server.
        for number in range(POSTS):
            compose((sam_first, sam_second)[number % 2], f"Shift report number {number}")
        wait_for(lambda: settled(first, peer), what="every delivery sent")
        assert job_states(first, "deliveries") == Counter({"delivered": 1 + POSTS * (SINKS + 1)})
        assert len(sink.received) == POSTS * SINKS
        assert set(sink.received.values()) == {1}, sink.received.most_common(3)
        home_at_peer = pia.get("/home").text
        for number in range(POSTS):
            assert home_at_peer.count(f"Shift report number {number}") == 1
            # Each process shows what the other wrote.
            for web in (sam_first, sam_second):
                assert shown(web.get("/home").text).count(f"Shift report number {number}") == 1

        # What arrives is applied once, whichever worker takes it.
        for number in range(MENTIONS):
            compose(pia, f"@sam@{first.domain} thanks for report {number}")
        wait_for(lambda: settled(peer, first), what="the mentions applied at S")
        assert job_states(first, "inbox_items")["applied"] == 1 + MENTIONS  # and the Follow
        for web in (sam_first, sam_second):
            home = web.get("/home").text
            for number in range(MENTIONS):
                assert home.count(f"thanks for report {number}") == 1
