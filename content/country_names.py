"""Countries in the reader's words: the ISO 3166-1 alpha-2 codes (pycountry), their names in
any language from CLDR (langcodes' `language_data`, which holds only names: Babel's whole
locales would cost some 85 MB for the index), each country's official languages (Babel), and
finding a country from what someone typed: its name in any of Harbour's languages or in its
own, or its code, whatever the case and accents. The name index is built once per process
(about 0.2 s, on the first search; langcodes is imported on first use). Pure functions."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from content.languages import fold

# The interface languages of issue 13: a country is found by its name in any of them.
SEARCH_LANGUAGES = ("en", "ro", "bg", "ru", "uk", "es", "pt", "fr", "de", "it", "pl", "hu")


@cache
def codes() -> tuple[str, ...]:
    """Every ISO 3166-1 alpha-2 code, sorted. Read from pycountry's database on first use,
    not at start-up (~0.4 MiB; DESIGN.md, start-up)."""
    import pycountry  # ~20 ms and 0.3 MiB to import: on first use too

    return tuple(sorted(str(c.alpha_2) for c in pycountry.countries))


@cache
def _known() -> frozenset[str]:
    return frozenset(codes())


def typed(text: str) -> str:
    """What a reader typed, as a page may repeat it: without the invisible format characters
    (bidi overrides, zero-width spaces) that could reverse or hide the words around it."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


@lru_cache(maxsize=8192)  # codes and languages come from stored content: the cache is bounded
def name(code: str, language: str) -> str:
    """A country's name in `language` (`DE` in `ro`: Germania), or the code if unknown."""
    if code not in _known():
        return code
    import langcodes

    try:
        return str(langcodes.Language.make(territory=code).territory_name(language))
    except ValueError:  # not a language tag
        return name(code, "en")


@cache
def own_names(code: str) -> tuple[str, ...]:
    """A country's names in its official languages (`HU`: Magyarország; `CH`: Schweiz,
    Suisse, Svizzera…), Latin-script forms too where CLDR has them (`RS`: Србија, Srbija)."""
    from babel.languages import get_official_languages  # Babel: the first country named

    found: list[str] = []
    for language in get_official_languages(code, de_facto=True):
        own = language.replace("_", "-")
        for tag in (own, f"{own}-Latn") if "-" not in own else (own,):
            written = name(code, tag)
            if written not in found:
                found.append(written)
    return tuple(found)


@cache
def index() -> dict[str, str]:
    """Every folded name and code of every country -> its code. Earlier entries win a clash:
    codes, then the names in Harbour's languages, the countries' own names, ISO's English."""
    found: dict[str, str] = {}
    for code in codes():
        found.setdefault(fold(code), code)
    for language in SEARCH_LANGUAGES:
        for code in codes():
            found.setdefault(fold(name(code, language)), code)
    for code in codes():
        for written in own_names(code):
            found.setdefault(fold(written), code)
    import pycountry

    for country in pycountry.countries:
        for written in (country.alpha_3, country.name, getattr(country, "common_name", "")):
            if written:
                found.setdefault(fold(written), str(country.alpha_2))
    found.pop("", None)
    return found


def code_of(text: str, language: str = "") -> str | None:
    """The code of the country `text` names (`germanía`, `Deutschland`, `Allemagne`, `de`:
    `DE`), also by its name in the reader's `language` if that is not one of Harbour's, `""`
    for empty text, or None when no country is called that."""
    if not text.strip():
        return ""
    folded = fold(text)
    return index().get(folded) or (_named_in(language).get(folded) if language else None)


@cache
def _named_in(language: str) -> dict[str, str]:
    """Every country's folded name in one more language -> its code."""
    return {fold(name(code, language)): code for code in codes()}


def close_to(text: str, limit: int = 3) -> list[str]:
    """The codes of up to `limit` countries whose names are spelt like `text` (a typo)."""
    folded = fold(text)
    if len(folded) < 3:
        return []
    names = [key for key in index() if len(key) > 2]
    from difflib import get_close_matches

    codes: list[str] = []
    for key in get_close_matches(folded, names, n=4 * limit, cutoff=0.75):
        if index()[key] not in codes:
            codes.append(index()[key])
    return codes[:limit]


@cache
def choices(language: str) -> list[tuple[str, str]]:
    """Every country as (code, name in `language`), in that language's alphabetical order
    (accents ignored)."""
    return sorted(((code, name(code, language)) for code in codes()), key=lambda c: fold(c[1]))
