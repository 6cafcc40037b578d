"""A member moves her account between real nodes: from A (SQLite) to B (PostgreSQL), and her
follower on C (SQLite) follows her on B afterwards.

alice2 on B names alice@A as an alias first; A fetches alice2 and moves only because she
does; C fetches alice2 again from B and checks the alias itself before carol follows her."""

from __future__ import annotations

from contextlib import closing

import pytest

from tests.rig.nodes import NodeProcess, wait_for
from tests.scenarios.test_message_signatures_federation import approve_all, follow, home, post

pytestmark = pytest.mark.processes
MOVED = "This account has moved to"


def test_a_member_moves_from_a_to_b_and_her_follower_on_c_follows_her_there(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    alice_password = a.create_member("alice")
    with (
        closing(a.sign_in("alice", alice_password)) as alice,
        closing(b.sign_in("alice2", b.create_member("alice2"))) as alice2,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
        closing(a.client()) as visitor,
    ):
        follow(carol, f"alice@{a.domain}")
        approve_all(alice)
        post(alice, "Still on A")
        wait_for(lambda: "Still on A" in home(carol), what="alice's post from A at C")

        # Moving too soon, before alice2 names the old account, is refused and changes nothing.
        move = {"handle": f"alice2@{b.domain}", "password": alice_password, "confirm": "on"}
        refused = alice.post("/settings/move", data=move)
        assert (
            "does not list this account as an alias" in alice.get(refused.headers["location"]).text
        )

        # On B: alice@A becomes an alias of alice2.
        alice2.post("/settings/aliases", data={"handle": f"@alice@{a.domain}"})
        assert f"@alice@{a.domain}" in alice2.get("/settings/aliases").text

        # On A: the move, confirmed with her password.
        moved = alice.post("/settings/move", data=move)
        assert moved.headers["location"] == "/settings/move"
        assert MOVED in alice.get("/settings/move").text

        # C checked alice2's alias at B and asked to follow her there; she approves.
        approve_all(alice2)
        post(alice2, "Hello from my new home on B")
        wait_for(lambda: "Hello from my new home on B" in home(carol), what="alice2's post at C")

        # A's profile page says where she went, and the old account can no longer post.
        profile = visitor.get("/@alice").text
        assert MOVED in profile and f"{b.base_url}/@alice2" in profile
        refusal = alice.post("/compose", data={"text": "One more from A", "visibility": "public"})
        page = alice.get(refusal.headers["location"]).text
        assert "this account has moved to another account, so it cannot post" in page
        wait_for(lambda: "0 followers" in visitor.get("/@alice").text, what="carol's unfollow at A")

        # She cannot move again within the week.
        again = alice.post("/settings/move", data=move)
        assert "only once a week" in alice.get(again.headers["location"]).text
