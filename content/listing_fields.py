"""The fields of a service listing: the category vocabulary, translations of its name and
summary, and validation with an error per field (countries ISO 3166-1 alpha-2 via pycountry,
languages BCP 47 via langcodes; their names are `content.country_names` and
`content.languages`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from content.field_errors import FieldErrors
from content.interface_text import N_, Message
from content.languages import language_tag


class Category(StrEnum):
    """The controlled vocabulary of service categories. Extend it by adding a member and its
    label; codes from other nodes that are not listed here are kept and shown as they are."""

    SEXUAL_HEALTH = "sexual-health"
    PREP = "prep"
    GENERAL_HEALTH = "general-health"
    MENTAL_HEALTH = "mental-health"
    HARM_REDUCTION = "harm-reduction"
    GENDER_AFFIRMING_CARE = "gender-affirming-care"
    REPRODUCTIVE_HEALTH = "reproductive-health"
    HOUSING = "housing"
    SOCIAL_SUPPORT = "social-support"
    PEER_SUPPORT = "peer-support"
    MIGRATION_LEGAL = "migration-legal"
    LABOUR_RIGHTS = "labour-rights"
    CRIMINAL_DEFENCE = "criminal-defence"
    VIOLENCE_SUPPORT = "violence-support"
    FINANCIAL_SUPPORT = "financial-support"
    EDUCATION = "education"


LABELS: dict[str, str] = {
    Category.SEXUAL_HEALTH: N_("Sexual health and HIV/STI testing"),
    Category.PREP: N_("PrEP"),
    Category.GENERAL_HEALTH: N_("General health"),
    Category.MENTAL_HEALTH: N_("Mental health"),
    Category.HARM_REDUCTION: N_("Harm reduction"),
    Category.GENDER_AFFIRMING_CARE: N_("Gender-affirming care"),
    Category.REPRODUCTIVE_HEALTH: N_("Reproductive health"),
    Category.HOUSING: N_("Housing and shelter"),
    Category.SOCIAL_SUPPORT: N_("Social support"),
    Category.PEER_SUPPORT: N_("Peer support"),
    Category.MIGRATION_LEGAL: N_("Legal advice on migration and residence"),
    Category.LABOUR_RIGHTS: N_("Labour rights"),
    Category.CRIMINAL_DEFENCE: N_("Criminal-law defence"),
    Category.VIOLENCE_SUPPORT: N_("Support after violence"),
    Category.FINANCIAL_SUPPORT: N_("Financial support"),
    Category.EDUCATION: N_("Education and training"),
}

CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
SHORT = 200
LONG = 4000
OPTIONAL_TEXT = ("region", "city", "cost", "phone", "email", "website", "messaging",
                 "street_address", "postal_code", "opening_hours")  # fmt: skip
# Suggested in the directory's country field: the Council of Europe's members and Belarus,
# Kosovo's code not being in ISO 3166-1; any other country can still be typed.
EUROPE = ("AD AL AM AT AZ BA BE BG BY CH CY CZ DE DK EE ES FI FR GB GE GR HR HU IE IS IT LI LT "
          "LU LV MC MD ME MK MT NL NO PL PT RO RS SE SI SK SM TR UA").split()  # fmt: skip
MAX_CATEGORIES = 12
MAX_LANGUAGES = 20
MAX_TRANSLATIONS = 40


def label_of(code: str) -> str:
    """The English label of a category code (the code itself for one not in the vocabulary)."""
    return LABELS.get(code, code)


def normal_tag(tag: str) -> str:
    """A BCP 47 tag in its standard form (`PT-br`: `pt-BR`), or stripped if it is not one."""
    return language_tag(tag) or tag.strip()


class ListingError(FieldErrors):
    """A listing is not valid; `errors` maps each field to a message fit to show staff."""


@dataclass
class Translation:
    """The name and summary of a listing in another language; either may be empty (the
    listing's own is shown instead)."""

    language: str = ""
    name: str = ""
    summary: str = ""


@dataclass
class ListingFields:
    """A listing's values, checked by `validate()`. Text is plain text. `language` is the
    language the name and summary are written in, `languages` those spoken at the service."""

    name: str = ""
    organisation: str = ""
    country: str = ""
    region: str = ""
    city: str = ""
    summary: str = ""
    categories: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    cost: str = ""
    free: bool = False
    anonymous: bool = False
    papers_required: bool = False
    insurance_required: bool = False
    opening_hours: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    messaging: str = ""
    street_address: str = ""
    postal_code: str = ""
    address_hidden: bool = False
    last_verified: date | None = None
    verified_by: str = ""
    language: str = "en"
    translations: list[Translation] = field(default_factory=list)


def validate(values: ListingFields, *, today: date, known_categories_only: bool = True) -> None:
    """Normalise `values` in place (country upper case, tags in their standard form), or raise
    ListingError with one message per bad field. Remote listings may carry category codes
    outside the vocabulary (`known_categories_only=False`)."""
    errors: dict[str, str] = {}
    _strip(values)
    for name, limit in (("name", SHORT), ("organisation", SHORT), ("verified_by", SHORT)):
        if not getattr(values, name):
            errors[name] = N_("This field is required.")
        elif len(getattr(values, name)) > limit:
            errors[name] = Message(N_("At most %(count)s characters."), count=limit)
    for name in OPTIONAL_TEXT:
        if len(getattr(values, name)) > SHORT:
            errors[name] = Message(N_("At most %(count)s characters."), count=SHORT)
    if len(values.summary) > LONG:
        errors["summary"] = Message(N_("At most %(count)s characters."), count=LONG)
    import pycountry  # on the first listing checked, not at start-up

    values.country = values.country.upper()
    if pycountry.countries.get(alpha_2=values.country) is None or len(values.country) != 2:
        errors["country"] = N_("Choose a country (ISO 3166-1 two-letter code).")
    _check_categories(values, errors, known_categories_only)
    _check_languages(values, errors)
    _check_translations(values, errors)
    if values.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", values.email):
        errors["email"] = N_("This is not an e-mail address.")
    if values.website and not re.match(r"https?://[^\s/]+\.[^\s]+$", values.website):
        errors["website"] = N_("A web address starts with https:// (or http://).")
    if values.last_verified is None:
        errors["last_verified"] = N_("Give the date the listing was last checked.")
    elif values.last_verified > today:
        errors["last_verified"] = N_("The date of the last check cannot be in the future.")
    if errors:
        raise ListingError(errors)


def _strip(values: ListingFields) -> None:
    for name, value in vars(values).items():
        if isinstance(value, str):
            setattr(values, name, " ".join(value.split()) if name != "summary" else value.strip())
    for translation in values.translations:
        translation.name = " ".join(translation.name.split())
        translation.summary = translation.summary.strip()


def _check_categories(values: ListingFields, errors: dict[str, str], known_only: bool) -> None:
    codes = list(dict.fromkeys(c.strip().lower() for c in values.categories if c.strip()))
    if not codes:
        errors["categories"] = N_("Choose at least one category.")
    elif len(codes) > MAX_CATEGORIES:
        errors["categories"] = Message(N_("At most %(count)s categories."), count=MAX_CATEGORIES)
    elif known_only and (unknown := [c for c in codes if c not in LABELS]):
        errors["categories"] = Message(
            N_("Unknown category: %(categories)s."), categories=", ".join(unknown)
        )
    elif not all(CODE.fullmatch(c) for c in codes):
        errors["categories"] = N_("A category code is lower-case letters, digits and hyphens.")
    values.categories = codes


def _check_languages(values: ListingFields, errors: dict[str, str]) -> None:
    tags: list[str] = []
    for raw in values.languages:
        raw = raw.strip()
        if not raw:
            continue
        if (tag := language_tag(raw)) is None:
            errors["languages"] = Message(
                N_("“%(tag)s” is not a language tag (BCP 47, such as ro or pt-BR)."), tag=raw
            )
            return
        tags.append(tag)
    tags = list(dict.fromkeys(tags))
    if not tags:
        errors["languages"] = N_("Give at least one language spoken (such as en, ro, pt-BR).")
    elif len(tags) > MAX_LANGUAGES:
        errors["languages"] = Message(N_("At most %(count)s languages."), count=MAX_LANGUAGES)
    values.languages = tags


def _check_translations(values: ListingFields, errors: dict[str, str]) -> None:
    if (tag := language_tag(values.language)) is None:
        errors["language"] = N_("Give a language tag (BCP 47, such as en, ro or pt-BR).")
    else:
        values.language = tag
    if len(values.translations) > MAX_TRANSLATIONS:
        errors["translations"] = Message(
            N_("At most %(count)s translations."), count=MAX_TRANSLATIONS
        )
    seen = {values.language}
    for index, translation in enumerate(values.translations):
        for part, message in _translation_errors(translation, seen).items():
            errors[f"translations-{index}-{part}"] = message
        seen.add(translation.language)


def _translation_errors(translation: Translation, seen: set[str]) -> dict[str, str]:
    """A translation's errors by part; its tag put in standard form when it is one."""
    errors: dict[str, str] = {}
    if (tag := language_tag(translation.language)) is None:
        errors["language"] = N_("Give the language of this translation (such as ro or pt-BR).")
    elif tag in seen:
        errors["language"] = N_("There is already a text in this language.")
    else:
        translation.language = tag
    if not translation.name and not translation.summary:
        errors["name"] = N_("Give the name or the summary in this language.")
    elif len(translation.name) > SHORT:
        errors["name"] = Message(N_("At most %(count)s characters."), count=SHORT)
    if len(translation.summary) > LONG:
        errors["summary"] = Message(N_("At most %(count)s characters."), count=LONG)
    return errors


def drop_invalid_translations(values: ListingFields) -> None:
    """Keep only the translations that would pass `validate()`, at most MAX_TRANSLATIONS:
    a remote listing keeps its valid languages rather than being refused for one bad one."""
    _strip(values)
    seen = {language_tag(values.language) or values.language}
    kept: list[Translation] = []
    for translation in values.translations:
        if len(kept) < MAX_TRANSLATIONS and not _translation_errors(translation, seen):
            kept.append(translation)
            seen.add(translation.language)
    values.translations = kept
