"""The trust network keeps itself up to date, from the admin pages: node A subscribes to
partner B's blocklist on /admin/trust, and B's later blocks and retractions reach A by
themselves (or wait for A's admin to review them); B shows its list to partners only."""

from __future__ import annotations

from contextlib import closing

import httpx
import pytest

from tests.rig.nodes import NodeProcess, wait_for
from tests.scenarios.test_trust_lists import harbour

pytestmark = pytest.mark.processes
# A fetches each list every 6 hours; scaled down, every 11 seconds.
FAST = {"HARBOUR_TEST_RETRY_SCALE": "0.0005"}


def admin_of(node: NodeProcess) -> httpx.Client:
    password = node.create_member("ada")
    assert node.run("admin", "grant", "ada").returncode == 0
    return node.sign_in("ada", password)


def blocks_page(admin: httpx.Client) -> str:
    return admin.get("/admin/domains").text


def source(b: NodeProcess) -> str:
    return f"{b.base_url}/api/v1/instance/domain_blocks"


@pytest.mark.parametrize("fleet", [FAST], indirect=True)
def test_a_partners_blocks_and_retractions_reach_a_by_themselves(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    harbour(b, "domain", "allow", a.domain)  # B's partners may read its list; C may not
    harbour(b, "domain", "block", "hostile.example", "--public-comment", "harassment")
    with closing(admin_of(a)) as ada:
        subscribed = ada.post("/admin/trust/subscribe", data={"url": source(b), "auto_apply": "on"})
        assert subscribed.headers["location"] == "/admin/trust"
        wait_for(lambda: "hostile.example" in blocks_page(ada), what="B's block at A")

        # B blocks another server, then lifts its first block: A follows on its own.
        harbour(b, "domain", "block", "second.example")
        harbour(b, "domain", "unblock", "hostile.example")
        wait_for(
            lambda: (
                "second.example" in (page := blocks_page(ada)) and "hostile.example" not in page
            ),
            timeout=90,
            what="B's new block and its retraction at A",
        )
        log = ada.get("/admin/audit").text
        assert "trust.subscribe" in log and "domain.unblock" in log
        assert f"from trust list {b.domain}" in log

    # B's list is for its partners: C, which is not one, is refused, and so is a stranger.
    harbour(c, "trust", "subscribe", source(b))
    refused = c.run("trust", "review")
    assert refused.returncode == 1 and "answered 403" in refused.stderr
    with closing(b.client()) as stranger:
        assert stranger.get("/api/v1/instance/domain_blocks").status_code == 401


@pytest.mark.fleet(size=2)
def test_changes_wait_for_the_admins_review_unless_the_list_applies_itself(
    fleet: list[NodeProcess],
) -> None:
    a, b = fleet
    harbour(b, "domain", "allow", a.domain)
    harbour(b, "domain", "block", "hostile.example", "--public-comment", "harassment")
    with closing(admin_of(a)) as ada:
        ada.post("/admin/trust/subscribe", data={"url": source(b), "name": "partner-b"})
        wait_for(
            lambda: "1 change waits for review" in ada.get("/admin").text,
            what="the change waiting at A",
        )
        # Her notifications say so too, with the way to the review.
        told = ada.get("/notifications").text
        assert "1 trust-list change waits for review" in told and 'href="/admin/trust"' in told
        page = ada.get("/admin/trust").text
        assert "Block hostile.example: suspend" in page and "harassment" in page
        assert "hostile.example" not in blocks_page(ada)  # nothing applied yet

        list_id = page.split('action="/admin/trust/', 1)[1].split("/", 1)[0]
        ada.post(f"/admin/trust/{list_id}/apply", data={"domain": "hostile.example"})
        assert "hostile.example" in blocks_page(ada)
        assert "Nothing waits" in ada.get("/admin/trust").text
        assert "trust-list change" not in ada.get("/notifications").text
        log = ada.get("/admin/audit").text
        assert "ada" in log and "from trust list partner-b" in log

        ada.post(f"/admin/trust/{list_id}/unsubscribe")
        assert "This node subscribes to no trust list." in ada.get("/admin/trust").text
        assert "hostile.example" in blocks_page(ada)  # what it brought stays
