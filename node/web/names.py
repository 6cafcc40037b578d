"""Countries and languages named in the reader's interface language (CLDR through
`content.country_names` and `content.languages`), for every template; and which language
version of translated content (a listing, a country page) a reader is shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import Request

from content import country_names, languages
from node import i18n
from node.i18n import _


def country_name(code: str) -> str:
    """A country's name in the reader's language."""
    return country_names.name(code, i18n.current())


def own_country_name(code: str) -> str:
    """A country's name in its (first) official language (`RO`: România)."""
    return next(iter(country_names.own_names(code)), code)


def language_name(tag: str) -> str:
    """A language's name in the reader's language."""
    return languages.name_in(tag, i18n.current())


def language_names(tags: Sequence[str]) -> str:
    """Languages' names in the reader's language, separated by commas."""
    return ", ".join(language_name(tag) for tag in tags)


def language_typed(typed: str) -> str:
    """A language filter's tag for what the reader typed: a tag, or the language's name in
    any interface language or its own (`română`, `Romanian`, `rumano`: `ro`)."""
    return languages.tag_of(typed, i18n.SHIPPED) or typed.strip()


def country_choices() -> list[tuple[str, str]]:
    """Every country as (code, name), in the reader's language and alphabetical order."""
    return country_names.choices(i18n.current())


def language_choices(*keep: str) -> list[tuple[str, str]]:
    """Every language CLDR describes as (tag, its own name), and
    any tag of `keep` it lacks (a regional one such as `pt-BR`), so a form keeps its value."""
    found = languages.choices(i18n.current())
    known = {tag for tag, _ in found}
    kept = [tag for tag in dict.fromkeys(keep) if tag and tag not in known]
    return [(tag, languages.native_name(tag)) for tag in kept] + found


def version_note(version: Version) -> str:
    """The note that the reader's language has no version of what she reads ("Shown in
    English: no Romanian version yet."), in her language."""
    assert version.missing is not None
    return _version_note(version.shown, version.missing, i18n.current())


@lru_cache(maxsize=1024)
def _version_note(shown: str, missing: str, language: str) -> str:
    """A directory page shows the same note on most of its listings: it is written once."""
    names = {"shown": languages.name_in(shown, language)}
    names["missing"] = languages.name_in(missing, language)
    return _("Shown in %(shown)s: no %(missing)s version yet.") % names


GLOBALS = {
    "country_name": country_name,
    "own_country_name": own_country_name,
    "language_name": language_name,
    "language_names": language_names,
    "native_name": languages.native_name,
    "country_choices": country_choices,
    "language_choices": language_choices,
    "version_note": version_note,
}


@dataclass(frozen=True)
class Version:
    """The language version a reader is shown, the others to link to, and the language the
    reader wanted that has no version (None when they got one they asked for)."""

    shown: str
    others: list[str]
    missing: str | None


def wanted(request: Request) -> list[str]:
    """The languages a reader wants content in, most wanted first: the version they opened
    (`?version=`, which leaves the interface as it is), their `?lang=` choice, their interface
    language (unless it is only the English fallback), then Accept-Language."""
    params = request.query_params
    chosen = [
        tag
        for raw in (params.get("version", ""), params.get("lang", ""))
        if (tag := languages.language_tag(raw[:64]))
    ]
    interface = i18n.current()
    if interface != i18n.SOURCE:
        chosen.append(interface)
    header = languages.requested(request.headers.get("accept-language", "")[:500])
    return list(dict.fromkeys([*chosen, *header, interface]))


def version(available: Sequence[str], wanted: Sequence[str], own: str) -> Version:
    """The version to show of content `available` in these languages (`own` if none is
    wanted), with a note of the wanted language that has none."""
    found = languages.first_served(available, [*wanted, own])
    shown = found or (available[0] if available else own)
    asked = {languages.primary(tag) for tag in wanted}
    first = languages.language_tag(languages.primary(wanted[0]))  # not `*`, not made up
    missing = None if languages.primary(shown) in asked else first
    return Version(shown, [tag for tag in available if tag != shown], missing)
