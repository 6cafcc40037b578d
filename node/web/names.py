"""Countries and languages named in the reader's interface language (CLDR through
`content.country_names` and `content.languages`), for every template; and which language
version of translated content (a listing, a country page) a reader is shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from content import country_names, languages
from content.event_fields import zone_names, zone_of
from node import i18n
from node.i18n import _


def country_name(code: str) -> str:
    """A country's name in the reader's language."""
    return country_names.name(code, i18n.current())


async def country_typed(typed: str) -> str | None:
    """The code of the country the reader typed (`country_names.code_of`), looked up in a
    thread: a process's first search builds the name index (~0.1 s, ~20 MiB of CLDR names),
    which a node nobody searches never loads."""
    return await run_in_threadpool(country_names.code_of, typed, i18n.current())


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


UTC_NAME = "UTC"
# The zones the calendar's form offers (any IANA name is kept if an account holds one).
OFFERED_REGIONS = ("Europe/", "Atlantic/", "Africa/", "Asia/")


def when(moment: datetime, zone: str) -> str:
    """A moment as the reader's language writes it, in the zone `zone` (`Saturday 5
    December 2026, 18:00`)."""
    from babel.dates import format_datetime  # Babel's dates: on the first page with one

    return format_datetime(
        moment,
        "EEEE d MMMM y, HH:mm",
        tzinfo=zone_of(zone) or ZoneInfo(UTC_NAME),
        locale=i18n.locale_of(i18n.current()),
    )


def zone_label(zone: str) -> str:
    """A zone as the reader's language names its city (`Букурещ`); UTC as itself."""
    return _label(zone, i18n.current())


@cache
def _label(zone: str, language: str) -> str:
    found = zone_of(zone)
    if found is None or zone == UTC_NAME:
        return _("UTC")  # as the reader's language abbreviates Coordinated Universal Time
    from babel.dates import get_timezone_location

    return str(get_timezone_location(found, locale=i18n.locale_of(language), return_city=True))


@cache
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    offered = [z for z in zone_names() if z.startswith(OFFERED_REGIONS)]
    return tuple(sorted(((z, _label(z, language)) for z in offered), key=lambda row: row[1]))


def zone_choices() -> tuple[tuple[str, str], ...]:
    """The zones the form offers, each with its city's name, sorted by it."""
    return _choices(i18n.current())


GLOBALS = {
    "country_name": country_name,
    "own_country_name": own_country_name,
    "language_name": language_name,
    "language_names": language_names,
    "native_name": languages.native_name,
    "country_choices": country_choices,
    "language_choices": language_choices,
    "version_note": version_note,
    "when": when,
    "zone_label": zone_label,
    "zone_choices": zone_choices,
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
