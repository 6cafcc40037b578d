"""A block however the admin types the domain, on real node processes: node B is
`social.xn--vil-9la.test` (`social.évil.test`) on a port of loopback; node A blocks its
parent domain through the admin page and through Mastodon's admin API, written in upper
case with a trailing dot, as a U-label or an A-label, while B's member floods A's inbox
with signed POSTs. Every POST sent after the block is refused and none is applied
(`test_verdict_races.race`); a block of B's host and port refuses B too, one of another
port does not; a wildcard, which no host matches, is refused rather than stored as a
block that blocks nothing."""

from __future__ import annotations

from contextlib import closing

import pytest

from tests.rig.nodes import NodeProcess, loopback_client
from tests.scenarios.test_verdict_races import key_of, like, race

pytestmark = pytest.mark.processes
B_NAME = "social.xn--vil-9la.test"
ADMIN_SCOPES = "read write admin:read admin:write"


@pytest.fixture
def fleet_names() -> tuple[str, ...]:
    return ("node-a.test", B_NAME, "node-c.test")


def admin_of(a: NodeProcess) -> str:
    password = a.create_member("ada")
    granted = a.run("admin", "grant", "ada")
    assert granted.returncode == 0, granted.stderr
    return password


def a_like_from_b(a: NodeProcess, b: NodeProcess, number: int) -> int:
    """One more signed POST from B's member hank: its status at A."""
    with loopback_client(base_url=f"http://127.0.0.1:{a.port}", timeout=30) as http:
        return like(http, a, key_of(b, "hank"), f"after-{number}").status


@pytest.mark.fleet(size=2)
def test_a_parent_domain_blocked_on_the_admin_page_refuses_the_racing_server(
    fleet: list[NodeProcess],
) -> None:
    a, b = fleet
    with closing(a.sign_in("ada", admin_of(a))) as admin:

        def block() -> None:
            done = admin.post(
                "/admin/domains/block", data={"domain": "ÉVIL.TEST.", "severity": "suspend"}
            )
            assert done.status_code == 303 and done.headers["location"] == "/admin/domains"

        race(a, b, block)
        page = admin.get("/admin/domains").text
        assert "xn--vil-9la.test" in page
        refused = admin.post(
            "/admin/domains/block", data={"domain": "*.évil.test", "severity": "suspend"}
        )
        assert refused.status_code == 303
        assert "*.xn--vil-9la.test" not in admin.get("/admin/domains").text


@pytest.mark.fleet(size=2)
def test_blocks_made_through_the_admin_api_by_a_label_and_by_host_and_port(
    fleet: list[NodeProcess],
) -> None:
    a, b = fleet
    token = a.app_token("ada", admin_of(a), ADMIN_SCOPES)
    with a.client() as http:
        http.headers["Authorization"] = f"Bearer {token}"

        def block(domain: str) -> int:
            answer = http.post(
                "/api/v1/admin/domain_blocks", data={"domain": domain, "severity": "suspend"}
            )
            assert answer.status_code == 200, answer.text
            return int(answer.json()["id"])

        blocks: list[int] = []
        race(a, b, lambda: blocks.append(block("XN--VIL-9LA.TEST")))
        assert http.delete(f"/api/v1/admin/domain_blocks/{blocks[0]}").status_code == 200
        assert a_like_from_b(a, b, 1) == 202  # lifted

        other_port = block(f"{B_NAME}:1")
        assert a_like_from_b(a, b, 2) == 202  # another port of the same name: not B
        http.delete(f"/api/v1/admin/domain_blocks/{other_port}")
        block(f"SOCIAL.XN--VIL-9LA.TEST:{b.port}.")
        assert a_like_from_b(a, b, 3) == 403
        wildcard = http.post(
            "/api/v1/admin/domain_blocks", data={"domain": "*.évil.test", "severity": "suspend"}
        )
        assert wildcard.status_code == 422
