"""The fields of a country information page: its five sections (Markdown written by staff),
sources, the date it was last reviewed, and validation with an error per field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from content.field_errors import FieldErrors
from content.interface_text import N_, Message
from content.languages import language_tag

# (field name, English heading), in the order pages show them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("legal", N_("Legal framework for sex work")),
    ("migration", N_("Migration and residence")),
    ("health", N_("Access to health care")),
    ("work", N_("Working conditions")),
    ("contacts", N_("Key contacts")),
)
SECTION_NAMES = tuple(name for name, _ in SECTIONS)
TITLE = 200
SECTION = 20_000
SOURCE = 500
MAX_SOURCES = 50
NOTE = 300


class CountryPageError(FieldErrors):
    """A country page is not valid; `errors` maps each field to a message fit to show staff."""


@dataclass
class CountryPageFields:
    """One language version of a country page, checked by `validate()`. Sections are
    Markdown source here (sanitised HTML for a mirrored page); sources are plain lines."""

    country: str = ""
    language: str = "en"
    title: str = ""
    legal: str = ""
    migration: str = ""
    health: str = ""
    work: str = ""
    contacts: str = ""
    sources: list[str] = field(default_factory=list)
    last_reviewed: date | None = None
    note: str = ""

    def sections(self) -> dict[str, str]:
        """The five sections by field name."""
        return {name: getattr(self, name) for name in SECTION_NAMES}


def country_code(raw: str) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case, or None if `raw` is not one."""
    import pycountry  # on the first page sent, not at start-up (~20 ms, 0.3 MiB)

    code = raw.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        return None
    return code


def validate(values: CountryPageFields, *, today: date, section_limit: int = SECTION) -> None:
    """Normalise `values` in place, or raise CountryPageError with one message per bad field.
    Mirrored pages carry HTML, longer than its Markdown: they pass a larger `section_limit`."""
    errors: dict[str, str] = {}
    values.title = " ".join(values.title.split())
    values.note = " ".join(values.note.split())
    if (country := country_code(values.country)) is None:
        errors["country"] = N_("Choose a country (ISO 3166-1 two-letter code, such as DE).")
    else:
        values.country = country
    if (language := language_tag(values.language)) is None:
        errors["language"] = N_("Give a language tag (BCP 47, such as en, fr or pt-BR).")
    else:
        values.language = language
    if not values.title:
        errors["title"] = N_("This field is required.")
    elif len(values.title) > TITLE:
        errors["title"] = Message(N_("At most %(count)s characters."), count=TITLE)
    for name in SECTION_NAMES:
        text = getattr(values, name).replace("\r\n", "\n").strip()
        setattr(values, name, text)
        if len(text) > section_limit:
            errors[name] = Message(N_("At most %(count)s characters."), count=section_limit)
    if not any(values.sections().values()):
        errors["legal"] = N_("Write at least one section.")
    values.sources = [" ".join(s.split()) for s in values.sources if s.strip()]
    if len(values.sources) > MAX_SOURCES:
        errors["sources"] = Message(N_("At most %(count)s sources."), count=MAX_SOURCES)
    elif any(len(s) > SOURCE for s in values.sources):
        errors["sources"] = Message(N_("A source is at most %(count)s characters."), count=SOURCE)
    if values.last_reviewed is None:
        errors["last_reviewed"] = N_("Give the date the page was last reviewed.")
    elif values.last_reviewed > today:
        errors["last_reviewed"] = N_("The date of the last review cannot be in the future.")
    if len(values.note) > NOTE:
        errors["note"] = Message(N_("At most %(count)s characters."), count=NOTE)
    if errors:
        raise CountryPageError(errors)
