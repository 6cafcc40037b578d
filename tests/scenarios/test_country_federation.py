"""Country pages across real nodes: a page published on A with a French translation reaches
B, whose member follows A's organisation; an edit follows; B's reader who prefers French
reads French."""

from __future__ import annotations

from contextlib import closing

import pytest

from tests.rig.nodes import NodeProcess, wait_for
from tests.scenarios.test_directory_federation import following

# Follows are counted by GETting collections unsigned (A keeps any setting the test gives it).
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
ENGLISH = {
    "language": "en",
    "title": "Sex work in Romania",
    "legal": "Selling sex is a *minor offence*.",
    "contacts": "Call the [Rosa hotline](https://rosa.example).",
    "sources": "Law 61/1991",
    "last_reviewed": "2026-10-01",
    "note": "First version",
}
FRENCH = {
    **ENGLISH,
    "language": "fr",
    "title": "Le travail du sexe en Roumanie",
    "legal": "Vendre du sexe est une *contravention*.",
    "note": "Traduction",
}


def romania(node: NodeProcess, language: str = "en") -> str:
    with node.client() as http:
        return http.get("/countries/RO", headers={"Accept-Language": language}).text


@pytest.mark.fleet(size=2)
def test_a_country_page_and_its_translation_reach_a_followers_node(
    fleet: list[NodeProcess],
) -> None:
    a, b = fleet
    sam_password = a.create_member("sam")
    assert a.run("admin", "grant", "sam", "--role", "staff").returncode == 0
    with (
        closing(a.sign_in("sam", sam_password)) as sam,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
    ):
        bob.post("/follow", data={"handle": f"organisation@{a.domain}"})
        wait_for(lambda: following(b, "bob") == 1, what="B follows A's organisation")
        assert sam.post("/countries/RO/edit", data=ENGLISH).status_code == 303
        assert sam.post("/countries/RO/edit", data=FRENCH).status_code == 303
        wait_for(lambda: "Le travail du sexe" in romania(b, "fr"), what="the French page on B")
        french = romania(b, "fr-FR, en;q=0.5")
        assert "<em>contravention</em>" in french and a.domain in french
        assert 'hreflang="en" lang="en">English</a>' in french
        english = romania(b, "de, en;q=0.9")
        assert "Sex work in Romania" in english and "Le travail" not in english
        assert '<a href="https://rosa.example" rel="nofollow noopener noreferrer">' in english

        edited = {**ENGLISH, "legal": "Selling sex is **no longer** an offence.", "note": "Law"}
        assert sam.post("/countries/RO/edit", data=edited).status_code == 303
        wait_for(lambda: "no longer" in romania(b), what="the edit on B")
        assert "revision 2" in romania(b)
        # The copy came under the organisation's FEP-8b32 proof, checked on arrival; the
        # French reader is told so in French.
        assert "and the signature checks out" in romania(b)
        assert "la signature est valide" in romania(b, "fr")
        assert "digital signature" not in romania(a)  # the origin's own page
        with b.client() as http:
            assert '<a href="/countries/RO">Romania</a>' in http.get("/countries").text
