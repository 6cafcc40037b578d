"""A moderator suspends a remote account that follows a member. Her server also hosts another
of the member's followers, so it gets the member's followers-only posts in its shared inbox
and showed them to her too: the suspension now ends her follows of the node's accounts with
a Reject her server acts on, and lifting it does not bring them back. Run both ways, so the
suspending node is once on SQLite (through the admin page) and once on PostgreSQL (through
the admin API)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing

import httpx
import pytest

from tests.rig.nodes import NodeProcess, settle, wait_for
from tests.scenarios.test_domain_blocks import approve_all
from tests.scenarios.test_federation_lifecycle import home, post

pytestmark = [pytest.mark.processes, pytest.mark.fleet(size=2)]
ADMIN = "read write follow admin:read admin:write"
# How a moderator of `node` (signed in on `page`, or holding `token`) acts on an account.
Act = Callable[[NodeProcess, httpx.Client, str, str, str], None]


def on_the_page(
    _node: NodeProcess, page: httpx.Client, _token: str, account: str, verb: str
) -> None:
    done = page.post(f"/admin/accounts/{account}/action", data={"type": verb, "reason": "abuse"})
    assert done.status_code == 303 and done.headers["location"] == "/admin/reports", done.text


def with_the_api(
    node: NodeProcess, _page: httpx.Client, token: str, account: str, verb: str
) -> None:
    path = f"/api/v1/admin/accounts/{account}/"
    path += "action" if verb == "suspend" else verb
    with node.client() as http:
        done = http.post(path, headers={"Authorization": f"Bearer {token}"}, data={"type": verb})
        assert done.status_code == 200, done.text


def accts(node: NodeProcess, token: str, which: str) -> list[str]:
    """The accounts a member follows or that follow her, as her client app lists them."""
    auth = {"Authorization": f"Bearer {token}"}
    with node.client() as http:
        me = http.get("/api/v1/accounts/verify_credentials", headers=auth).json()
        return sorted(
            a["acct"] for a in http.get(f"/api/v1/accounts/{me['id']}/{which}", headers=auth).json()
        )


@pytest.mark.parametrize(
    ("here", "act"), [(0, on_the_page), (1, with_the_api)], ids=["sqlite-page", "postgresql-api"]
)
def test_a_suspended_remote_follower_reads_no_more_followers_only_posts(
    fleet: list[NodeProcess], here: int, act: Act
) -> None:
    node, away = fleet[here], fleet[1 - here]
    mo_password = node.create_member("mo")
    assert node.run("admin", "grant", "mo", "--role", "moderator").returncode == 0
    passwords = {"alice": node.create_member("alice")}
    passwords |= {name: away.create_member(name) for name in ("eve", "bob")}
    tokens = {
        name: (node if name == "alice" else away).app_token(name, word)
        for name, word in passwords.items()
    }
    mo_token = node.app_token("mo", mo_password, ADMIN)
    with (
        closing(node.sign_in("mo", mo_password)) as mo,
        closing(node.sign_in("alice", passwords["alice"])) as alice,
        closing(away.sign_in("eve", passwords["eve"])) as eve,
        closing(away.sign_in("bob", passwords["bob"])) as bob,
    ):
        # Before: eve and bob, both on the other node, follow alice.
        for follower in (eve, bob):
            follower.post("/follow", data={"handle": f"alice@{node.domain}"})
        wait_for(lambda: "2 follow requests" in home(alice), what="the requests at alice's node")
        approve_all(alice)
        alice_there = f"alice@{node.domain}"
        wait_for(
            lambda: accts(away, tokens["eve"], "following") == [alice_there], what="eve follows"
        )
        wait_for(
            lambda: accts(away, tokens["bob"], "following") == [alice_there], what="bob follows"
        )

        with node.client() as http:
            found = http.get(
                "/api/v2/admin/accounts",
                params={"origin": "remote", "username": "eve", "by_domain": away.domain},
                headers={"Authorization": f"Bearer {mo_token}"},
            ).json()
        [eve_here] = [a["id"] for a in found]
        act(node, mo, mo_token, eve_here, "suspend")
        settle(node, away)  # what the suspension sent has arrived
        post(alice, "Only for the people I trust", "private")
        wait_for(lambda: "people I trust" in home(bob), what="alice's post in bob's home")
        settle(node, away)
        assert "people I trust" not in home(eve)
        assert accts(away, tokens["eve"], "following") == []
        assert accts(away, tokens["bob"], "following") == [alice_there]
        assert accts(node, tokens["alice"], "followers") == [f"bob@{away.domain}"]

        # Lifting the suspension does not make eve a follower again.
        act(node, mo, mo_token, eve_here, "unsuspend")
        post(alice, "Still only for the people I trust", "private")
        wait_for(lambda: "Still only for" in home(bob), what="alice's next post in bob's home")
        settle(node, away)
        assert "Still only for" not in home(eve)
        assert accts(away, tokens["eve"], "following") == []
        assert accts(node, tokens["alice"], "followers") == [f"bob@{away.domain}"]
