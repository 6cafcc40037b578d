"""A server node A meets for the first time, in open federation, is quarantined until an
admin of A admits it: seen as A's members, its admin and the public timeline show it."""

from __future__ import annotations

from contextlib import closing

import pytest

from tests.rig.nodes import NodeProcess, settle, wait_for
from tests.scenarios.test_domain_blocks import approve_all, public_timeline
from tests.scenarios.test_federation_lifecycle import count, home, post

# Followers are counted by GETting collections unsigned.
pytestmark = [pytest.mark.processes, pytest.mark.fleet(size=2), pytest.mark.unsigned_fetches]
ORGANISATION_FOLLOWERS = "/users/organisation/followers"  # it accepts follows by itself
QUARANTINE = {"HARBOUR_QUARANTINE_DAYS": "7"}


@pytest.mark.parametrize("fleet", [QUARANTINE], indirect=True)
def test_a_new_server_stays_quarantined_until_an_admin_admits_it(
    fleet: list[NodeProcess],
) -> None:
    a, b = fleet
    admin_password = a.create_member("ada")
    assert a.run("admin", "grant", "ada").returncode == 0
    with (
        closing(a.sign_in("alice", a.create_member("alice"))) as alice,
        closing(a.sign_in("ada", admin_password)) as ada,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
        closing(b.sign_in("bea", b.create_member("bea"))) as bea,
    ):
        # B meets A for the first time: bob's follow of A's organisation waits.
        bob.post("/follow", data={"handle": f"organisation@{a.domain}"})
        settle(a, b)
        assert count(a, ORGANISATION_FOLLOWERS) == 0
        listed = a.run("quarantine", "list")
        assert listed.returncode == 0 and b.domain in listed.stdout, listed.stdout

        # Alice follows bob: his posts reach her, but not A's public timeline.
        alice.post("/follow", data={"handle": f"bob@{b.domain}"})
        wait_for(lambda: "1 follow request" in home(bob), what="alice's request at B")
        approve_all(bob)
        settle(a, b)
        post(bob, "Hello from a server A has just met")
        wait_for(lambda: "just met" in home(alice), what="bob's post in alice's home")
        assert "just met" not in public_timeline(a)

        # The admin sees B on /admin and admits it from there; the audit log says so.
        assert b.domain in ada.get("/admin").text
        admitted = ada.post("/admin/quarantine/admit", data={"domain": b.domain})
        assert admitted.status_code == 303
        page = ada.get("/admin").text
        assert "No server is in quarantine." in page
        audit = ada.get("/admin/audit").text
        assert "quarantine.admit" in audit and b.domain in audit
        again = ada.post("/admin/quarantine/admit", data={"domain": b.domain})
        assert f"{b.domain} is not in quarantine" in ada.get(again.headers["location"]).text

        # Now B is a server like any other: its posts are public, its follows accepted.
        post(bob, "Hello again, now that A has admitted us")
        wait_for(lambda: "admitted us" in public_timeline(a), what="bob's post in public")
        bea.post("/follow", data={"handle": f"organisation@{a.domain}"})
        settle(a, b)
        assert count(a, ORGANISATION_FOLLOWERS) == 1  # bea's; bob's still waits
        assert "No server is in quarantine." in a.run("quarantine", "list").stdout

    # A member who is not an admin cannot admit a server.
    with closing(a.sign_in("mallory", a.create_member("mallory"))) as mallory:
        answer = mallory.post("/admin/quarantine/admit", data={"domain": "node-c.test"})
        assert answer.status_code in (403, 404)
    assert a.run("audit").stdout.count("quarantine.admit") == 1  # ada's, only
