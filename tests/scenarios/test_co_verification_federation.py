"""Co-verification and "still correct" across three real nodes (B on PostgreSQL): staff on
C, a partner of A, say their organisation checked A's listing and A's country page too; A
keeps C's signed statements and sends both again; B shows "also checked by" C with the
date. The statement A publishes verifies with C's own key, and an altered copy does not.
A's listing, eleven months old, is on A's "to verify" list; "still correct" there gives it
today's date on all three nodes."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from babel.dates import format_date

from activitypub import integrity
from activitypub.errors import SignatureError
from tests.rig.nodes import NodeProcess, wait_for
from tests.rig.world import words
from tests.scenarios.test_corrections_federation import LISTING, listing_path, mirrored, page

pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}
TODAY = datetime.now(UTC).date()
ELEVEN_MONTHS_OLD = {**LISTING, "last_verified": (TODAY - timedelta(days=340)).isoformat()}
COUNTRY_PAGE = {
    "language": "en",
    "title": "Sex work in Romania",
    "legal": "Sex work is a minor offence; soliciting is fined.",
    "sources": "https://legislatie.just.ro/",
    "last_reviewed": TODAY.isoformat(),
    "note": "First version",
}


def shown_day() -> str:
    """Today as an English page writes a check's day, asked when the test looks (a day taken
    at import said yesterday to a run just after midnight)."""
    return format_date(datetime.now(UTC).date(), "d MMM y", locale="en")


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


def shows(node: NodeProcess, path: str, text: str, what: str) -> None:
    wait_for(lambda: text in words(page(node, path)), what=f"{what} on {node.domain}")


def test_a_partner_checks_a_listing_and_a_page_too_and_every_mirror_shows_it_signed(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    assert a.run("domain", "allow", c.domain).returncode == 0  # C is A's partner
    with mirrored(a, b, c, listing=ELEVEN_MONTHS_OLD) as sam:
        assert sam.post("/countries/RO/edit", data=COUNTRY_PAGE).status_code == 303
        for node in (b, c):
            shows(node, "/countries/RO", "Sex work in Romania", "A's country page")
        tess_password = c.create_member("tess")
        assert c.run("admin", "grant", "tess", "--role", "staff").returncode == 0
        with closing(c.sign_in("tess", tess_password)) as tess:
            on_c = listing_path(c, "Rosa night clinic") or ""
            assert "We checked it too" in tess.get(on_c).text
            assert tess.post(f"{on_c}/co-verify").status_code == 303
            shown = tess.get("/countries/RO").text
            page_id = shown.split('name="page" value="')[1].split('"')[0]
            vouched = tess.post("/countries/RO/co-verify", data={"page": page_id})
            assert vouched.status_code == 303

        for node in (c, a, b):
            path = listing_path(node, "Rosa night clinic") or ""
            shows(node, path, f"({c.domain}), on {shown_day()}", "C's check of the listing")
            shows(node, "/countries/RO", f"({c.domain}), on {shown_day()}", "C's check of the page")
            assert "Also checked by" in words(page(node, "/countries/RO"))

        on_a = listing_path(a, "Rosa night clinic") or ""
        for document in (published(a, on_a), published(a, "/countries/RO/organisation")):
            [statement] = document["coVerifiedBy"]  # type: ignore[misc]
            assert statement["attributedTo"] == f"{c.base_url}/users/organisation"
            key = key_of(c, statement["attributedTo"])
            integrity.verify(statement, key)
            with pytest.raises(SignatureError):
                integrity.verify({**statement, "verifiedOn": "2026-01-01"}, key)

        # Eleven months old: on A's "to verify" list; still correct, it is today's everywhere.
        assert "Rosa night clinic" in words(sam.get("/staff/to-verify").text)
        listing_id = on_a.rsplit("/", 1)[1]
        assert sam.post(f"/staff/to-verify/listings/{listing_id}").status_code == 303
        assert "Rosa night clinic" not in words(sam.get("/staff/to-verify").text)
        for node in (a, b, c):
            path = listing_path(node, "Rosa night clinic") or ""
            shows(node, path, f"{shown_day()} by Rosa Collective", "the listing checked today")
    for node in fleet:
        assert not node.new_failures(), node.name
