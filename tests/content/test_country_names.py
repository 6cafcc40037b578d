"""Countries and languages named from CLDR in the reader's language, and a country found from
its name in any of Harbour's languages, its own name or its code, whatever the case and
accents."""

from __future__ import annotations

import pytest

from content import country_names, languages

GERMANY = [
    "DE", "de", "DEU", "Germany", "germania", "Germanía", " GERMANIA ", "Deutschland",
    "deutschland", "Allemagne", "Alemania", "Alemanha", "Niemcy", "Németország", "nemetorszag",
    "Германия", "германия", "Німеччина", "Germania",
]  # fmt: skip


@pytest.mark.parametrize("typed", GERMANY)
def test_germany_is_found_by_any_of_its_names(typed: str) -> None:
    assert country_names.code_of(typed) == "DE"


def test_countries_are_found_by_their_own_names_and_in_every_search_language() -> None:
    own = {"România": "RO", "Magyarország": "HU", "Schweiz": "CH", "Svizzera": "CH",
           "Србија": "RS", "Srbija": "RS", "Polska": "PL", "България": "BG", "Україна": "UA",
           "Côte d’Ivoire": "CI", "cote d'ivoire": "CI"}  # fmt: skip
    for typed, code in own.items():
        assert country_names.code_of(typed) == code, typed
    for language in country_names.SEARCH_LANGUAGES:
        for code in ("RO", "BG", "PT", "ES", "IT"):
            assert country_names.code_of(country_names.name(code, language)) == code
    assert country_names.code_of("Almanya") is None  # Turkish is not one of Harbour's…
    assert country_names.code_of("Almanya", "tr") == "DE"  # …but a Turkish reader's is used
    assert country_names.code_of("") == ""
    assert country_names.code_of("Atlantis") is None
    assert country_names.code_of("ZZ") is None


def test_names_are_in_the_readers_language() -> None:
    assert country_names.name("DE", "ro") == "Germania"
    assert country_names.name("DE", "fr") == "Allemagne"
    assert country_names.name("DE", "bg") == "Германия"
    assert country_names.name("XX", "ro") == "XX"
    assert country_names.own_names("HU") == ("Magyarország",)
    assert languages.name_in("ro", "bg") == "румънски"
    assert languages.name_in("pt-BR", "ro") == "portugheză (Brazilia)"
    assert languages.native_name("ro") == "română"
    romanian = dict(languages.choices("ro"))
    assert romanian["ro"] == "română" and romanian["bg"] == "български"
    order = [code for code, _ in country_names.choices("de")]
    # Ägypten among the A, Österreich among the O: accents do not move a name to the end.
    assert order.index("EG") < order.index("DE") < order.index("FR") < order.index("AT")
    assert order.index("AT") < order.index("PL")


def test_a_misspelt_country_gets_suggestions() -> None:
    assert country_names.close_to("Germny") == ["DE"]
    assert "RO" in country_names.close_to("Romnia")
    assert country_names.close_to("Atlantis") == []
    assert country_names.close_to("x") == []
