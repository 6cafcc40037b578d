"""The listing form: its fields read from a POST (translations as numbered rows, a cleared
row removed)."""

from __future__ import annotations

import re
from datetime import date

from starlette.datastructures import FormData

from content.listing_fields import MAX_TRANSLATIONS, ListingFields, Translation
from node.i18n import N_

TEXT_FIELDS = (
    "name", "organisation", "country", "region", "city", "summary", "cost", "opening_hours",
    "phone", "email", "website", "messaging", "street_address", "postal_code", "verified_by",
)  # fmt: skip
FLAGS = ("free", "anonymous", "papers_required", "insurance_required", "address_hidden")
# Empty translation rows the form offers after the existing ones.
BLANK_ROWS = 2
MAX_FIELDS = 80 + 3 * (MAX_TRANSLATIONS + BLANK_ROWS)
MAX_VALUE = 5000


def read(form: FormData) -> tuple[ListingFields, dict[str, str]]:
    """The values a form sent, and errors for values that cannot even be read (a date)."""
    values = ListingFields()
    for name in TEXT_FIELDS:
        setattr(values, name, str(form.get(name, ""))[:MAX_VALUE])
    for name in FLAGS:
        setattr(values, name, form.get(name) == "on")
    values.categories = [str(c)[:50] for c in form.getlist("categories")][:30]
    # Chosen in a list (one value each), or typed as tags separated by commas.
    sent = " ".join(str(value)[:MAX_VALUE] for value in form.getlist("languages")[:30])
    values.languages = [t for t in re.split(r"[\s,]+", sent) if t][:30]
    values.language = str(form.get("language", "en"))[:MAX_VALUE]
    values.translations = _translations(form)
    errors: dict[str, str] = {}
    raw_date = str(form.get("last_verified", "")).strip()
    if raw_date:
        try:
            values.last_verified = date.fromisoformat(raw_date)
        except ValueError:
            errors["last_verified"] = N_("Give a date as YYYY-MM-DD.")
    return values, errors


def _translations(form: FormData) -> list[Translation]:
    """The translation rows `translations-N-language|name|summary`; a row with neither name
    nor summary is left out, so clearing a row removes the translation."""
    rows = []
    for index in range(MAX_TRANSLATIONS + BLANK_ROWS):
        language, name, summary = (
            str(form.get(f"translations-{index}-{part}", ""))[:MAX_VALUE]
            for part in ("language", "name", "summary")
        )
        if name.strip() or summary.strip():
            rows.append(Translation(language, name, summary))
    return rows


def rows(values: ListingFields) -> list[Translation]:
    """The translation rows the form shows: the existing ones, then blank ones to add more."""
    blank = min(BLANK_ROWS, MAX_TRANSLATIONS + BLANK_ROWS - len(values.translations))
    return values.translations + [Translation() for _ in range(max(blank, 0))]
