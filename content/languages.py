"""Choosing the language to show a reader: the best of the available BCP 47 tags for an
Accept-Language header (with q-values) or an explicit `?lang=` choice, English by default;
and the names of languages, in their own language or the reader's, from CLDR's names as
langcodes' `language_data` holds them (Babel would load each language's whole locale to name
it: some 70 MB for the list of languages). langcodes (~4 MiB) is imported on first use. Pure
functions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache

DEFAULT = "en"
MAX_RANGES = 20
MAX_FOLDED = 100
MAX_PARSED_TAGS = 10_000
# Letters, digits and hyphens in subtags of 1-8 characters (`x-…` private use): nothing else
# is a tag.
_BCP47_SHAPE = re.compile(r"^(?:[A-Za-z]{2,8}|[xXiI])(?:-[A-Za-z0-9]{1,8})*$")
_NOT_WORD = re.compile(r"[\W_]+")


def requested(accept_language: str) -> list[str]:
    """The language ranges of an Accept-Language header, most wanted first (ties keep their
    order; q=0 and malformed entries are left out)."""
    ranges: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:MAX_RANGES]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().lower().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag.strip() and 0 < quality <= 1:
            ranges.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranges)]


def _match(wanted: str, available: Sequence[str]) -> str | None:
    """The available tag that serves a wanted range: the same tag, or the same primary
    language (`fr-CH` is served by `fr`, `fr` by `fr-FR`)."""
    if wanted == "*":
        return available[0] if available else None
    lowered = {tag.lower(): tag for tag in available}
    if (exact := lowered.get(wanted.lower())) is not None:
        return exact
    primary = wanted.split("-", 1)[0].lower()
    for tag in available:
        if tag.split("-", 1)[0].lower() == primary:
            return tag
    return None


def best(available: Sequence[str], accept_language: str, override: str = "") -> str | None:
    """The `override` (from `?lang=`) if available, else the best match for the header, else
    None."""
    return first_served(available, ([override] if override else []) + requested(accept_language))


def first_served(available: Sequence[str], wanted: Sequence[str]) -> str | None:
    """The available tag serving the first of the `wanted` ranges that one serves, or None."""
    for tag in wanted:
        if (found := _match(tag, available)) is not None:
            return found
    return None


def negotiate(
    available: Sequence[str], accept_language: str = "", override: str = "", default: str = DEFAULT
) -> str:
    """The tag to show from `available`: the `best` one for the reader, else `default`, else
    the first available tag."""
    return (
        best(available, accept_language, override)
        or _match(default, available)
        or (available[0] if available else default)
    )


def language_tag(raw: str) -> str | None:
    """A BCP 47 tag in its standard form (`PT-br`: `pt-BR`), or None if `raw` is not one."""
    raw = raw.strip()
    if not raw or len(raw) > 35 or not _BCP47_SHAPE.match(raw):
        return None
    import langcodes

    forget_parsed_tags()
    if not langcodes.tag_is_valid(raw):
        return None
    return langcodes.standardize_tag(raw)


def forget_parsed_tags() -> None:
    """langcodes keeps every tag it has parsed in class-level dicts that never shrink, and
    tags come from requests (`?version=`, `?lang=`, filters): past a bound they are emptied,
    so no stream of made-up tags makes the node's memory grow for good."""
    import langcodes

    for kept in (langcodes.Language._PARSE_CACHE, langcodes.Language._INSTANCES):
        if len(kept) > MAX_PARSED_TAGS:
            kept.clear()


def fold(text: str) -> str:
    """`text` for comparing names: no accents (NFKD, combining marks dropped), case-folded,
    punctuation as single spaces (`Côte d’Ivoire`: `cote d ivoire`)."""
    decomposed = unicodedata.normalize("NFKD", text[:MAX_FOLDED])
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_NOT_WORD.sub(" ", bare).split())


@lru_cache(maxsize=8192)  # tags come from stored and remote content: the cache is bounded
def name_in(tag: str, language: str) -> str:
    """A language's name in `language` (`pt-BR` in `ro`: portugheză (Brazilia))."""
    import langcodes

    forget_parsed_tags()
    try:
        return str(langcodes.Language.get(tag).display_name(language))
    except (ValueError, LookupError):
        return tag


@lru_cache(maxsize=4096)
def native_name(tag: str) -> str:
    """A language's name in that language (`fr`: français, `pt-BR`: português (Brasil))."""
    return name_in(tag, tag)


def primary(tag: str) -> str:
    """The primary language subtag of a BCP 47 tag: `pt` for `pt-BR`."""
    return tag.split("-", 1)[0].lower()


@cache
def cldr_languages() -> tuple[str, ...]:
    """The languages CLDR describes (Babel's list of its locales): each one's own name is
    known. Babel is imported when a page first lists or reads language names."""
    from babel.localedata import locale_identifiers

    return tuple(sorted(tag for tag in locale_identifiers() if "_" not in tag and tag != "root"))


@cache
def choices(language: str) -> list[tuple[str, str]]:
    """Every language CLDR names in its own words, as (tag, own name: `română`), in
    alphabetical order of its name in `language` (accents ignored)."""
    found = []
    for tag in cldr_languages():
        own = native_name(tag)
        if not own.startswith("Unknown language"):
            found.append((fold(name_in(tag, language)), tag, own))
    return [(tag, own) for _, tag, own in sorted(found)]


def tag_of(typed: str, readers: Sequence[str]) -> str | None:
    """The language a reader typed: its tag (`ro`), or its name in any of the `readers`'
    languages or in its own (`romanian`, `rumano`, `Română`), ignoring case and accents."""
    folded = fold(typed)
    if not folded:
        return None
    return _names_index(tuple(readers)).get(folded) or language_tag(typed)


@cache
def _names_index(readers: tuple[str, ...]) -> dict[str, str]:
    """Folded language names, in each reader language and their own, to their tags."""
    index: dict[str, str] = {}
    for tag in cldr_languages():
        for name in (native_name(tag), *(name_in(tag, reader) for reader in readers)):
            if not name.startswith("Unknown language"):
                index.setdefault(fold(name), tag)
    return index
