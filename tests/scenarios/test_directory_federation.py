"""The directory across three real nodes: a listing published on A (with a Romanian
translation) is found on B and C, whose members follow A's organisation (C only after it was
published), in the reader's language; edits and deletion follow; old ones are marked stale."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest

from tests.rig.nodes import NodeProcess, wait_for

# The tests count followers by GETting collections unsigned.
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}
SIGNED = "This copy carries its publisher's digital signature, and the signature checks out."
LISTING = {
    "name": "Rosa night clinic",
    "organisation": "Rosa Collective",
    "country": "RO",
    "city": "Cluj",
    "summary": "Anonymous HIV and STI tests.",
    "categories": ["sexual-health"],
    "languages": "ro, hu, en",
    "anonymous": "on",
    "last_verified": "2026-10-01",
    "verified_by": "Rosa Collective",
}
ROMANIAN = {
    "translations-0-language": "ro",
    "translations-0-name": "Clinica de noapte Rosa",
    "translations-0-summary": "Teste HIV și ITS anonime.",
}


def directory(node: NodeProcess, **params: str) -> str:
    with node.client() as http:
        return http.get("/directory", params=params).text


def listing_page(node: NodeProcess, name: str) -> str:
    """The page of the listing called `name`, as the node's directory links it."""
    with node.client() as http:
        found = http.get("/directory", params={"q": name}).text
        match = re.search(rf'href="(/directory/\d+)"[^>]*>{re.escape(name)}<', found)
        assert match, found
        return http.get(match.group(1)).text


def following(node: NodeProcess, username: str) -> int:
    with node.client() as http:
        return int(http.get(f"/users/{username}/following", headers=AP).json()["totalItems"])


def publish(staff: httpx.Client, **changes: object) -> str:
    answer = staff.post("/directory/new", data={**LISTING, **changes})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_listings_reach_followers_nodes_with_edits_deletion_and_staleness(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    sam_password = a.create_member("sam")
    assert a.run("admin", "grant", "sam", "--role", "staff").returncode == 0
    with (
        closing(a.sign_in("sam", sam_password)) as sam,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
    ):
        bob.post("/follow", data={"handle": f"organisation@{a.domain}"})
        wait_for(lambda: following(b, "bob") == 1, what="B follows A's organisation")
        path = publish(sam, **ROMANIAN)
        # C follows only now, and still gets the listing published before.
        carol.post("/follow", data={"handle": f"organisation@{a.domain}"})
        wait_for(lambda: following(c, "carol") == 1, what="C follows A's organisation")
        for node in (b, c):
            wait_for(
                lambda node=node: (
                    "Rosa night clinic" in directory(node, country="RO", language="hu")
                ),
                what=f"the listing at {node.domain}",
            )
        # Each copy came under the organisation's FEP-8b32 proof, checked on arrival.
        for node in (b, c):
            assert SIGNED in listing_page(node, "Rosa night clinic"), node.domain
        assert "digital signature" not in listing_page(a, "Rosa night clinic")  # the origin
        found = directory(b, q="cluj", category="sexual-health")
        assert "Rosa night clinic" in found and a.domain in found
        assert "stale" not in found
        with b.client() as http:
            romanian = http.get("/directory", params={"q": "anonime"},
                                headers={"Accept-Language": "ro"}).text  # fmt: skip
        assert 'lang="ro" dir="auto">Clinica de noapte Rosa</a>' in romanian

        assert (
            sam.post(f"{path}/edit", data={**LISTING, "name": "Rosa day clinic"}).status_code == 303
        )
        for node in (b, c):
            wait_for(
                lambda node=node: "Rosa day clinic" in directory(node),
                what=f"the edit at {node.domain}",
            )
        assert "Rosa night clinic" not in directory(c)

        publish(sam, name="Old shelter", categories=["housing"], last_verified="2024-01-10")
        wait_for(lambda: "Old shelter" in directory(c, category="housing"), what="old listing")
        assert "stale: not verified for over a year" in directory(c, category="housing")

        assert sam.post(f"{path}/delete").status_code == 303
        for node in (b, c):
            wait_for(
                lambda node=node: "Rosa day clinic" not in directory(node),
                what=f"the deletion at {node.domain}",
            )
        assert "Old shelter" in directory(b)
