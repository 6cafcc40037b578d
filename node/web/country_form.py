"""The country page editor's form: its fields read from a POST, and a blank page to start."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData

from content.country_fields import SECTION_NAMES, CountryPageFields
from node.i18n import N_

MAX_FIELDS = 20
MAX_VALUE = 25_000


def read(form: FormData, country: str) -> tuple[CountryPageFields, dict[str, str]]:
    """The values a form sent, and errors for values that cannot even be read (a date)."""
    values = CountryPageFields(
        country=country,
        language=_field(form, "language")[:64],
        title=_field(form, "title"),
        sources=_field(form, "sources").splitlines()[:200],
        note=_field(form, "note"),
    )
    for name in SECTION_NAMES:
        setattr(values, name, _field(form, name))
    errors: dict[str, str] = {}
    raw_date = _field(form, "last_reviewed").strip()
    if raw_date:
        try:
            values.last_reviewed = date.fromisoformat(raw_date)
        except ValueError:
            errors["last_reviewed"] = N_("Give a date as YYYY-MM-DD.")
    return values, errors


def blank(country: str, language: str, today: date) -> CountryPageFields:
    """The values of a language version not written yet."""
    return CountryPageFields(country=country, language=language, last_reviewed=today)


def _field(form: FormData, name: str) -> str:
    return str(form.get(name, ""))[:MAX_VALUE]
