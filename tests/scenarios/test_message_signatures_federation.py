"""RFC 9421 between real nodes, and double-knocking with a draft-cavage-only peer.

Node A (SQLite) plays a draft-cavage-only server (HARBOUR_TEST_CAVAGE_ONLY: it refuses RFC
9421 with 401 and signs draft-cavage); B (PostgreSQL) and C (SQLite) sign RFC 9421 first.
Fetches are signed (authorized fetch is on), so signed GETs are exercised too.
"""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest

from tests.rig.nodes import NodeProcess, wait_for

CAVAGE_ONLY = {"HARBOUR_TEST_CAVAGE_ONLY": "true"}
REMEMBERED = "refused RFC 9421 and took draft-cavage signatures"
pytestmark = pytest.mark.processes


def home(http: httpx.Client) -> str:
    return http.get("/home").text


def post(http: httpx.Client, text: str) -> None:
    response = http.post("/compose", data={"text": text, "visibility": "public"})
    assert response.headers["location"] == "/home"


def follow(who: httpx.Client, handle: str) -> None:
    who.post("/follow", data={"handle": handle})


@pytest.mark.parametrize("fleet", [CAVAGE_ONLY], indirect=True)
def test_rfc9421_between_nodes_and_double_knocking_with_a_cavage_only_node(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    with (
        closing(a.sign_in("alice", a.create_member("alice"))) as alice,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
    ):
        # B and C speak RFC 9421 to each other, on PostgreSQL and SQLite, both ways.
        follow(bob, f"carol@{c.domain}")
        follow(carol, f"bob@{b.domain}")
        approve_all(carol)
        approve_all(bob)
        post(carol, "Signed the RFC 9421 way from C")
        post(bob, "Signed the RFC 9421 way from B")
        wait_for(lambda: "Signed the RFC 9421 way from C" in home(bob), what="C's post at B")
        wait_for(lambda: "Signed the RFC 9421 way from B" in home(carol), what="B's post at C")
        assert REMEMBERED not in b.output() and REMEMBERED not in c.output()

        # B knocks on draft-cavage-only A with RFC 9421, is refused, knocks again, remembers.
        follow(bob, f"alice@{a.domain}")
        approve_all(alice)
        post(alice, "Signed draft-cavage from A")
        wait_for(lambda: "Signed draft-cavage from A" in home(bob), what="A's post at B")
        post(bob, "Knocked twice, then remembered")
        post(bob, "Straight to draft-cavage")
        follow(alice, f"bob@{b.domain}")
        approve_all(bob)
        post(bob, "Now A follows B too")
        wait_for(lambda: "Now A follows B too" in home(alice), what="B's post at A")
        assert b.output().count(f"{a.domain} {REMEMBERED}") == 1, "B knocked more than once"


def approve_all(member: httpx.Client) -> None:
    """Accept the member's pending follow requests, once at least one has arrived."""
    wait_for(lambda: "follow request" in home(member), what="a follow request")
    for request_id in re.findall(
        r"/follow-requests/(\d+)/accept", member.get("/follow-requests").text
    ):
        member.post(f"/follow-requests/{request_id}/accept")
