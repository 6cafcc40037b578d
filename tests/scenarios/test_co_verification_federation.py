"""Co-verification across three real nodes (B on PostgreSQL): staff on C, a partner of A,
say their organisation checked A's listing too; A keeps C's signed statement and sends the
listing again; B shows "also checked by" C with the date. The statement A publishes verifies
with C's own key, and an altered copy does not."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime

import pytest
from babel.dates import format_date

from activitypub import integrity
from activitypub.errors import SignatureError
from tests.rig.nodes import NodeProcess, wait_for
from tests.rig.world import words
from tests.scenarios.test_corrections_federation import listing_path, mirrored, page

pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}


def published(node: NodeProcess, path: str) -> dict[str, object]:
    with node.client() as http:
        found: dict[str, object] = http.get(path, headers=AP).json()
        return found


def key_of(node: NodeProcess, actor: str) -> str:
    """The Ed25519 key an actor of `node` publishes for its statements (FEP-521a)."""
    with node.client() as http:
        document = http.get(actor.removeprefix(node.base_url), headers=AP).json()
    [method] = document["assertionMethod"]
    return str(method["publicKeyMultibase"])


def test_a_partner_checks_a_listing_too_and_every_mirror_shows_it_signed(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    assert a.run("domain", "allow", c.domain).returncode == 0  # C is A's partner
    with mirrored(a, b, c):
        tess_password = c.create_member("tess")
        assert c.run("admin", "grant", "tess", "--role", "staff").returncode == 0
        with closing(c.sign_in("tess", tess_password)) as tess:
            on_c = listing_path(c, "Rosa night clinic") or ""
            assert "We checked it too" in tess.get(on_c).text
            assert tess.post(f"{on_c}/co-verify").status_code == 303

        day = format_date(datetime.now(UTC).date(), "d MMM y", locale="en")
        for node in (c, a, b):
            path = listing_path(node, "Rosa night clinic") or ""
            wait_for(lambda node=node, path=path: f"({c.domain}), on {day}" in page(node, path),
                     what=f"C's check on {node.domain}")  # fmt: skip
            assert "Also checked by" in words(page(node, path))

        on_a = listing_path(a, "Rosa night clinic") or ""
        [statement] = published(a, on_a)["coVerifiedBy"]  # type: ignore[misc]
        assert statement["attributedTo"] == f"{c.base_url}/users/organisation"
        key = key_of(c, statement["attributedTo"])
        integrity.verify(statement, key)
        with pytest.raises(SignatureError):
            integrity.verify({**statement, "verifiedOn": "2026-01-01"}, key)
    for node in fleet:
        assert not node.new_failures(), node.name
