"""One node run as several processes on one PostgreSQL database, as the operator's guide
says: two `harbour serve --no-worker` (the web processes behind the proxy) and two `harbour
worker`, beside a peer node. What arrives is applied once, whichever process received it; a
domain block and the sign-in limit hold across the processes. And SQLite refuses a second
process while the first keeps serving."""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from moderation.rate_limits import LIMITS, Action
from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.nodes import NodeProcess, Replica, free_port, read_database, settle, wait_for
from tests.rig.signing import signed_post
from tests.rig.streams import ServerSentEvents, ready

pytestmark = pytest.mark.processes
NOTES = 4  # mentions of sam from the peer, each sent to both web processes at once
POSTS = 4  # sam's posts, written through either web process


class NodeS:
    """Node S as four processes on one database and data folder, and its peer P."""

    def __init__(self, folder: Path, database_url: str, peer: NodeProcess) -> None:
        public = free_port()

        def process(port: int, *command: str) -> Replica:
            return Replica(
                port, folder, database_url, name="node-s.test", public_port=public, command=command
            )

        self.webs = [process(public, "serve", "--no-worker")]
        self.webs.append(process(free_port(), "serve", "--no-worker"))
        self.workers = [process(free_port(), "worker") for _ in range(2)]
        self.peer = peer

    @property
    def processes(self) -> list[NodeProcess]:
        return [*self.webs, *self.workers, self.peer]


@pytest.fixture
def node_s(
    sqlite_databases: SQLiteDatabases, postgresql_databases: PostgresDatabases, tmp_path: Path
) -> Iterator[NodeS]:
    peer = NodeProcess(free_port(), tmp_path / "p", sqlite_databases.create(), name="node-p.test")
    node = NodeS(tmp_path / "s", postgresql_databases.create(), peer)
    for each in node.processes:
        each.extra_env.update(
            HARBOUR_DEV_HOSTS="node-s.test=127.0.0.1,node-p.test=127.0.0.1",
            HARBOUR_FEDERATION_MODE="open",
        )
    node.webs[0].start()  # it sets the database and the secret key up; the others share them
    for each in node.processes[1:]:
        # Picked now: a port picked before that start's seconds can be taken meanwhile (in
        # CI another test's node took the peer's, and answered in its place).
        each.port = free_port()
        each.launch()
    deadline = time.perf_counter() + 90
    for each in (node.webs[1], peer):
        each.wait_until_serving(deadline)
    for worker in node.workers:
        wait_for(lambda worker=worker: "is running" in worker.output(), what="the workers")
    yield node
    for each in node.processes:
        each.stop()
    postgresql_databases.drop(node.webs[0].database_url)
    sqlite_databases.drop(peer.database_url)


def job_states(node: NodeProcess, table: str) -> Counter[str]:
    async def read(session: AsyncSession) -> Counter[str]:
        rows = await session.execute(text(f"SELECT state, count(*) FROM {table} GROUP BY state"))
        return Counter({str(state): int(count) for state, count in rows})

    return read_database(node, read)


def accepted_follows(node: NodeProcess) -> int:
    async def read(session: AsyncSession) -> int:
        found = await session.scalar(text("SELECT count(*) FROM follows WHERE state = 'accepted'"))
        return int(found or 0)

    return read_database(node, read)


def signing_key(node: NodeProcess, username: str) -> tuple[str, str, str]:
    """A member's actor URI, key id and private key, read from her node's database."""

    async def read(session: AsyncSession) -> Account | None:
        return await session.scalar(
            select(Account).where(Account.username == username, Account.domain.is_(None))
        )

    account = read_database(node, read)
    assert account is not None and account.private_key_pem is not None
    return account.uri, account.key_id, account.private_key_pem


def mention(author: str, of: str, number: int) -> dict[str, Any]:
    note = f"{author}/statuses/{9000 + number}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note}/activity",
        "type": "Create",
        "actor": author,
        "to": [of],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": author,
            "content": f"<p>@sam thanks for shift report {number}</p>",
            "to": [of],
            "tag": [{"type": "Mention", "href": of}],
            "published": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        },
    }


def listeners(node: NodeProcess, channel: str = "harbour_jobs") -> int:
    """How many connections LISTEN on a channel: for the node's new work (one per worker
    process), or for what streams are told (one per web process)."""

    async def read(session: AsyncSession) -> int:
        found = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query = :listen"
            ),
            {"listen": f"LISTEN {channel}"},
        )
        return int(found or 0)

    return read_database(node, read)


def compose(member: Any, text: str) -> None:
    member.post("/compose", data={"text": text, "visibility": "public"})


def test_two_web_processes_and_two_workers_run_one_node(node_s: NodeS) -> None:
    (web1, web2), peer = node_s.webs, node_s.peer
    wait_for(lambda: listeners(web1) == 2, what="each worker listening for new work")
    wait_for(lambda: listeners(web1, "harbour_stream") == 2, what="each web process's streams")
    password = web1.create_member("sam")
    with (
        closing(web1.sign_in("sam", password)) as sam1,
        closing(web2.sign_in("sam", password)) as sam2,
        closing(peer.sign_in("pia", peer.create_member("pia"))) as pia,
        closing(peer.sign_in("pat", peer.create_member("pat"))) as pat,
    ):
        # Follow requests arrive at the node's public port; each is accepted through another
        # web process, and the workers deliver the Accepts.
        for member in (pia, pat):
            member.post("/follow", data={"handle": f"sam@{web1.domain}"})
        accept = re.compile(r"/follow-requests/(\d+)/accept")
        wait_for(lambda: len(accept.findall(sam2.get("/follow-requests").text)) == 2, what="both")
        requests = accept.findall(sam1.get("/follow-requests").text)
        for web, request_id in zip((sam1, sam2), requests, strict=True):
            web.post(f"/follow-requests/{request_id}/accept")
        wait_for(lambda: accepted_follows(peer) == 2, what="both follows accepted at P")

        # A client streaming from one web process hears of a post made through the other.
        heard = ServerSentEvents(web2, web1.app_token("sam", password), "user")
        ready(heard, lambda text: compose(sam1, text), "sam listens on web 2")

        # Posts written through either web process reach each follower once.
        for number in range(POSTS):
            (sam1, sam2)[number % 2].post(
                "/compose", data={"text": f"Shift report {number}", "visibility": "public"}
            )
        settle(web1, peer)
        assert set(job_states(web1, "deliveries")) == {"delivered"}
        for member in (pia, pat):
            home = member.get("/home").text
            for number in range(POSTS):
                assert home.count(f"Shift report {number}") == 1

        # Each mention is sent to both web processes at once (a retry racing the first try):
        # one of them stores it, one worker applies it, once.
        author, key_id, private_pem = signing_key(peer, "pia")
        sam_uri = f"{web1.base_url}/users/sam"

        def deliver(to: NodeProcess, number: int) -> int:
            headers, body = signed_post(
                "/inbox",
                mention(author, sam_uri, number),
                host=web1.domain,
                key_id=key_id,
                private_pem=private_pem,
            )
            with closing(to.client()) as http:
                return http.post("/inbox", content=body, headers=headers).status_code

        with ThreadPoolExecutor(4) as pool:
            sent = [(web, number) for number in range(NOTES) for web in (web1, web2)]
            assert list(pool.map(lambda each: deliver(*each), sent)) == [202] * len(sent)
        settle(web1, peer)
        assert job_states(web1, "inbox_items") == Counter({"applied": 2 + NOTES})  # and follows
        # The mentions a worker applied reached the stream too, once each.
        wait_for(lambda: len(heard.payloads("notification")) == NOTES, what="every mention")
        assert {n["type"] for n in heard.payloads("notification")} == {"mention"}
        heard.close()
        sam1.headers["authorization"] = f"Bearer {web1.app_token('sam', password)}"
        mentions = [n for n in sam1.get("/api/v1/notifications").json() if n["type"] == "mention"]
        assert sorted(n["status"]["content"] for n in mentions) == [
            f"<p>@sam thanks for shift report {number}</p>" for number in range(NOTES)
        ]
        for web in (sam1, sam2):
            home = web.get("/home").text
            for number in range(NOTES):
                assert home.count(f"thanks for shift report {number}") == 1

        # Wrong passwords for one nickname, split between the web processes, are refused at
        # the same count as through one process.
        web1.create_member("lou")
        tries = LIMITS[Action.LOGIN].burst
        statuses = [
            web.post("/login", data={"username": "lou", "password": "a guess"}).status_code
            for web in [sam2, sam1] * (tries // 2 + 1)
        ]
        assert statuses == [401] * tries + [429] * (len(statuses) - tries)

        # A domain block made through one web process holds in the other at once.
        assert web1.run("admin", "grant", "sam").returncode == 0
        blocked = sam1.post(
            "/admin/domains/block", data={"domain": peer.domain, "severity": "suspend"}
        )
        assert blocked.status_code == 303, blocked.text
        started = time.monotonic()
        refused = deliver(web2, NOTES)
        assert refused == 403
        assert time.monotonic() - started < 1.0


def test_a_second_process_on_one_sqlite_database_is_refused(
    sqlite_databases: SQLiteDatabases, tmp_path: Path
) -> None:
    node = NodeProcess(free_port(), tmp_path / "a", sqlite_databases.create())
    node.start()
    try:
        assert node.process is not None
        for command in (["serve", "--port", str(free_port())], ["worker"]):
            second = node.run(*command, process=True)
            assert second.returncode == 1, second.stdout
            assert second.stderr == (
                f"harbour: another Harbour process uses this SQLite database (pid"
                f" {node.process.pid}); run one process, or move to PostgreSQL\n"
            )
        assert node.process.poll() is None
        with node.client() as http:
            assert http.get("/.well-known/nodeinfo").is_success
        # Short commands run beside it: the lost-password line serve printed works as pasted.
        hint = re.search(r"If it is lost: (.+)", node.output())
        assert hint is not None
        reset = subprocess.run(
            hint[1], shell=True, env=node.env(), capture_output=True, text=True, timeout=60
        )
        assert reset.returncode == 0 and "New password for" in reset.stdout, reset.stderr
        # A process killed without warning leaves no lock behind.
        node.kill()
        node.start()
        with node.client() as http:
            assert http.get("/.well-known/nodeinfo").is_success
    finally:
        node.stop()
        sqlite_databases.drop(node.database_url)
