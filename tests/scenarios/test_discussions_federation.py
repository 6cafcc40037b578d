"""A discussion group across three real nodes: members on B and C join a public group on A;
a thread from B reaches C through the group's Announce, C's reply reaches B; a moderator on
A removes the thread and it disappears on B and C; a ban stops the banned member writing."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest

from tests.rig.nodes import NodeProcess, wait_for

# The tests count followers by GETting collections unsigned.
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}


def members(node: NodeProcess) -> int:
    with node.client() as http:
        return int(http.get("/users/peers/followers", headers=AP).json()["totalItems"])


def page(member: httpx.Client, path: str) -> str:
    return member.get(path).text


def thread_ids(html: str, handle: str) -> list[str]:
    return re.findall(rf'href="/discussions/{re.escape(handle)}/(\d+)"', html)


def test_a_group_on_a_relays_threads_replies_removals_and_bans_to_b_and_c(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    mod_password = a.create_member("mod")
    created = a.run("group", "create", "peers", "--title", "Peer support", "--moderator", "mod")
    assert created.returncode == 0, created.stderr
    group = f"peers@{a.domain}"
    with (
        closing(a.sign_in("mod", mod_password)) as mod,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
    ):
        for member in (bob, carol):
            joined = member.post("/discussions/join", data={"handle": group})
            assert joined.headers["location"] == f"/discussions/{group}", joined.headers
        wait_for(lambda: members(a) == 2, what="B and C joined the group on A")
        wait_for(
            lambda: "You are a member." in page(bob, f"/discussions/{group}"),
            what="B got the group's Accept",
        )

        made = bob.post(
            f"/discussions/{group}/new",
            data={"title": "Night buses", "text": "Which lines are safe at night?"},
        )
        assert made.status_code == 303, made.text
        wait_for(
            lambda: "Night buses" in page(carol, f"/discussions/{group}"),
            what="B's thread announced to C",
        )
        assert "Night buses" in page(mod, "/discussions/peers")

        (on_c,) = thread_ids(page(carol, f"/discussions/{group}"), group)
        replied = carol.post(f"/discussions/{group}/{on_c}/reply", data={"text": "Line 4 is ok"})
        assert replied.status_code == 303, replied.text
        bobs_thread = made.headers["location"]
        wait_for(lambda: "Line 4 is ok" in page(bob, bobs_thread), what="C's reply on B")
        assert "Line 4 is ok" in page(
            mod, "/discussions/peers/" + thread_ids(page(mod, "/discussions/peers"), "peers")[0]
        )

        (on_a,) = thread_ids(page(mod, "/discussions/peers"), "peers")
        removed = mod.post(f"/discussions/peers/{on_a}/remove", data={"reason": "test"})
        assert removed.status_code == 303, removed.text
        for member, what in ((bob, "B"), (carol, "C")):
            wait_for(
                lambda member=member: "Night buses" not in page(member, f"/discussions/{group}"),
                what=f"the removal reaching {what}",
            )

        banned = mod.post("/discussions/peers/ban", data={"handle": f"carol@{c.domain}"})
        assert banned.status_code == 303, banned.text
        wait_for(lambda: members(a) == 1, what="the ban ending carol's membership")
        wait_for(
            lambda: "Join group" in page(carol, f"/discussions/{group}"),
            what="C learning of the ban",
        )
        refused = carol.post(f"/discussions/{group}/new", data={"title": "Again", "text": "Hi"})
        assert refused.status_code == 400 and "join the group" in refused.text
        rejoined = carol.post(f"/discussions/{group}/join")
        assert rejoined.status_code == 303
        wait_for(
            lambda: "Join group" in page(carol, f"/discussions/{group}"),
            what="A rejecting the banned member's new follow",
        )
        assert members(a) == 1
