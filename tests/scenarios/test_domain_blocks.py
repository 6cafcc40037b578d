"""Node A shuts node C out, at once and without a restart, then lets it back in."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.rig.nodes import NodeProcess, delivery_states, settle, wait_for
from tests.scenarios.test_federation_lifecycle import count, home, post

# Follows are counted by GETting collections unsigned (A keeps any setting the test gives it).
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
A_SETTINGS = {"HARBOUR_AUTHORIZED_FETCH": "true"}
# While A shuts C out, A's inbox answers C's deliveries 403.
C_REFUSED_BY_A = r"^node-c\.test: delivery http://node-a\.test:\d+/inbox failed: answered 403$"


def blocked_with_cli(a: NodeProcess, c: NodeProcess, _tmp: Path) -> None:
    done = a.run("domain", "block", c.domain, "--public-comment", "harassment", process=True)
    assert done.returncode == 0, done.stderr
    assert a.run("domain", "list").stdout.split() == ["suspend", c.domain]


def blocked_with_csv(a: NodeProcess, c: NodeProcess, tmp: Path) -> None:
    shared = tmp / "blocklist.csv"
    shared.write_text(
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        f"{c.domain},suspend,true,true,Harassment campaign,false\n"
    )
    done = a.run("domain", "import", str(shared))
    assert done.returncode == 0, done.stderr
    assert "1 block applied" in done.stdout
    exported = a.run("domain", "export").stdout
    assert f"{c.domain},suspend,true,true,Harassment campaign,false" in exported


def public_timeline(node: NodeProcess) -> str:
    with node.client() as http:
        return " ".join(s["content"] for s in http.get("/api/v1/timelines/public").json())


def inbox_refusals(node: NodeProcess) -> int:
    return len(re.findall(r"POST /(users/\w+/)?inbox 403", node.output()))


def approve_all(member: httpx.Client) -> None:
    for request_id in re.findall(
        r"/follow-requests/(\d+)/accept", member.get("/follow-requests").text
    ):
        member.post(f"/follow-requests/{request_id}/accept")


def lift_block(a: NodeProcess, c: NodeProcess) -> None:
    lifted = a.run("domain", "unblock", c.domain)
    assert lifted.returncode == 0, lifted.stderr


@pytest.mark.parametrize("fleet", [A_SETTINGS], indirect=True)
@pytest.mark.parametrize("make_block", [blocked_with_cli, blocked_with_csv])
@pytest.mark.expect_failures(C_REFUSED_BY_A)
def test_a_blocked_node_is_refused_both_ways_and_comes_back_when_lifted(
    fleet: list[NodeProcess], make_block: Callable[[NodeProcess, NodeProcess, Path], None],
    tmp_path: Path,
) -> None:  # fmt: skip
    shut_out_then_let_back(fleet, lambda a, c: make_block(a, c, tmp_path), lift_block, purges=True)


def shut_out_then_let_back(
    fleet: list[NodeProcess],
    shut_out: Callable[[NodeProcess, NodeProcess], None],
    let_back: Callable[[NodeProcess, NodeProcess], None],
    *,
    purges: bool,
) -> None:
    """C is refused by A both ways (A runs authorized fetch) while B is not, then C is
    let back in and federation is restored."""
    a, b, c = fleet
    with (
        closing(a.sign_in("alice", a.create_member("alice"))) as alice,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
    ):
        # Before: alice and carol follow each other; bob follows alice.
        carol.post("/follow", data={"handle": f"alice@{a.domain}"})
        bob.post("/follow", data={"handle": f"alice@{a.domain}"})
        alice.post("/follow", data={"handle": f"carol@{c.domain}"})
        wait_for(lambda: "2 follow requests" in home(alice), what="requests at A")
        wait_for(lambda: "1 follow request" in home(carol), what="alice's request at C")
        approve_all(alice)
        approve_all(carol)
        settle(a, b, c)  # the Accepts have arrived
        post(carol, "Carol's public note before the block")
        wait_for(lambda: "before the block" in public_timeline(a), what="C's post at A")

        shut_out(a, c)
        reached_c = delivery_states(a, c.domain).get("delivered", 0)

        if purges:  # A's public timeline no longer shows C's content: it was purged.
            assert "before the block" not in public_timeline(a)
        # C's signed deliveries to A are refused.
        refusals = inbox_refusals(a)
        post(carol, f"@alice@{a.domain} are you there?")
        wait_for(lambda: inbox_refusals(a) > refusals, what="A refusing C's delivery")
        assert "are you there?" not in home(alice)
        # C cannot fetch A's content (authorized fetch refuses C's signed requests).
        answer = carol.post("/follow", data={"handle": f"organisation@{a.domain}"})
        refusal = re.search(r'role="alert">([^<]*)<', carol.get(answer.headers["location"]).text)
        assert refusal is not None and a.domain in refusal.group(1)  # A refused to tell C
        # A stops delivering to C: bob gets what carol never gets.
        post(alice, f"@bob@{b.domain} @carol@{c.domain} news after the block")
        wait_for(lambda: "news after the block" in home(bob), what="A's post at B")
        settle(a, b, c)
        assert "news after the block" not in home(carol)
        assert delivery_states(a, c.domain).get("delivered", 0) == reached_c  # none sent

        # Letting C back in restores federation.
        let_back(a, c)
        post(carol, f"@alice@{a.domain} hello again")
        wait_for(lambda: "hello again" in home(alice), what="C's mention at A, let back in")
        again = carol.post("/follow", data={"handle": f"organisation@{a.domain}"})
        assert again.headers["location"] == "/home"
        wait_for(lambda: count(c, "/users/carol/following") == 2, what="carol follows A's org")
