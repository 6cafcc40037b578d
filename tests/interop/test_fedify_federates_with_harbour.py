"""Fedify and Harbour follow each other: each verifies the other's HTTP Signatures."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port, wait_for

pytestmark = pytest.mark.processes
AP = {"Accept": "application/activity+json"}


class FedifyPeer:
    """`node peer.mjs`: a Fedify server whose events are read from its output."""

    def __init__(self, fedify: Path, log: Path, follow: str) -> None:
        self.port = free_port()
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                ["node", "peer.mjs", str(self.port), follow],
                cwd=fedify,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def events(self) -> list[dict[str, str]]:
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def saw(self, **fields: str) -> bool:
        return any(all(e.get(k) == v for k, v in fields.items()) for e in self.events())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def node(sqlite_databases: SQLiteDatabases, tmp_path: Path) -> Iterator[NodeProcess]:
    harbour = NodeProcess(
        port=free_port(), data_dir=tmp_path / "harbour", database_url=sqlite_databases.create()
    )
    harbour.extra_env["HARBOUR_FEDERATION_MODE"] = "open"
    harbour.extra_env["HARBOUR_AUTHORIZED_FETCH"] = "false"  # the Fedify side fetches unsigned
    harbour.start()
    yield harbour
    harbour.stop()


def test_fedify_and_harbour_follow_each_other(
    fedify: Path, node: NodeProcess, tmp_path: Path
) -> None:
    organisation = f"{node.base_url}/users/organisation"
    peer = FedifyPeer(fedify, tmp_path / "peer.log", follow=organisation)
    try:
        # Fedify's signed Follow is verified here; our signed Accept is verified by Fedify.
        wait_for(
            lambda: peer.saw(event="accept", actor=organisation),
            what=f"Fedify accepting Harbour's Accept:\n{peer.log.read_text()}",
        )
        with node.client() as http:
            followers = http.get("/users/organisation/followers", headers=AP).json()
        assert followers["totalItems"] == 1

        # A member follows the Fedify actor; Fedify accepts and sends a note.
        with closing(node.sign_in("alice", node.create_member("alice"))) as alice:
            alice.post("/follow", data={"handle": f"fedi@127.0.0.1:{peer.port}"})
            wait_for(
                lambda: peer.saw(event="follow", actor=f"{node.base_url}/users/alice"),
                what=f"Fedify receiving the follow:\n{peer.log.read_text()}",
            )
            wait_for(
                lambda: "Hello from Fedify" in alice.get("/home").text,
                what="Fedify's note on alice's timeline",
            )
            with node.client() as http:
                following = http.get("/users/alice/following", headers=AP).json()
            assert following["totalItems"] == 1
        assert not peer.saw(event="inbox-error")
    finally:
        peer.stop()
