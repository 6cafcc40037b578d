"""Country pages on the wire: an `Article` that is also a Harbour `CountryInformation`,
carrying every language version of one organisation's page about one country (`nameMap`,
`contentMap`, and `languageVersions` with the sections as HTML), so a plain Mastodon user
sees a readable article and a Harbour node mirrors the sections."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from activitypub import AS_CONTEXT, PUBLIC, as_list
from activitypub.vocab import COUNTRY_CONTEXT, ObjectType
from content.accounts import Account
from content.countries import CountryPage
from content.country_fields import CountryPageFields
from content.orm import iso
from content.sanitize import clean_document_html, render_inline_text, strip_html
from federation.vouch_wire import merged

CONTEXT: list[Any] = [AS_CONTEXT, COUNTRY_CONTEXT]
TYPES = [str(ObjectType.ARTICLE), str(ObjectType.COUNTRY_INFORMATION)]
# Wire names of the sections, by field name.
WIRE_NAMES = {
    "legal": "legalFramework",
    "migration": "migrationAndResidence",
    "health": "healthCareAccess",
    "work": "workingConditions",
    "contacts": "keyContacts",
}
MAX_VERSIONS = 40
MAX_SECTION = 60_000
MAX_SOURCES = 50


def is_country_information(document: Any) -> bool:
    """Whether a document is a Harbour country information page."""
    return isinstance(document, dict) and ObjectType.COUNTRY_INFORMATION in as_list(
        document.get("type")
    )


def document(pages: list[CountryPage], organisation: Account, url: str) -> dict[str, Any]:
    """Every language version of a page (one uri, one country) as an embedded object."""
    first = next((p for p in pages if p.language.split("-")[0] == "en"), pages[0])
    return {
        "id": first.uri,
        "type": TYPES,
        "attributedTo": organisation.uri,
        "to": [PUBLIC],
        "cc": [organisation.followers_uri] if organisation.followers_uri else [],
        "url": url,
        "name": first.title,
        "nameMap": {page.language: page.title for page in pages},
        "content": readable(first),
        "contentMap": {page.language: readable(page) for page in pages},
        "published": iso(min(page.created_at for page in pages)),
        "updated": iso(max(page.updated_at for page in pages)),
        "countryCode": first.country,
        "languageVersions": [_version(page) for page in pages],
        **({"coVerifiedBy": vouched} if (vouched := merged(p.vouches for p in pages)) else {}),
    }


def _version(page: CountryPage) -> dict[str, Any]:
    sections = {WIRE_NAMES[name]: markup for name, _, markup in page.sections()}
    return {
        "inLanguage": page.language,
        "name": page.title,
        **sections,
        "sources": page.sources,
        "lastReviewed": page.last_reviewed.isoformat(),
        "revision": page.revision,
    }


def readable(page: CountryPage) -> str:
    """One language version as HTML with headings, for servers that know nothing of it."""
    parts = [f"<p><strong>{html.escape(page.title)}</strong></p>"]
    for _, heading, markup in page.sections():
        parts.append(f"<h3>{html.escape(heading)}</h3>{markup}")
    if page.sources:
        items = "".join(f"<li>{render_inline_text(s)}</li>" for s in page.sources)
        parts.append(f"<h3>Sources</h3><ul>{items}</ul>")
    parts.append(f"<p>Last reviewed {page.last_reviewed.isoformat()}</p>")
    return "".join(parts)


def versions_of(document: dict[str, Any]) -> list[tuple[CountryPageFields, int]]:
    """A remote page's language versions, sections as sanitised HTML and sources as plain
    text, each with its revision number; not yet validated."""
    country = _text(document.get("countryCode"))
    found: list[tuple[CountryPageFields, int]] = []
    for version in as_list(document.get("languageVersions"))[:MAX_VERSIONS]:
        if not isinstance(version, dict):
            continue
        values = CountryPageFields(
            country=country,
            language=_text(version.get("inLanguage"))[:64],
            title=_text(version.get("name")),
            sources=[_text(s) for s in as_list(version.get("sources"))[:MAX_SOURCES]],
            last_reviewed=_date(version.get("lastReviewed")),
        )
        for name, wire_name in WIRE_NAMES.items():
            raw = version.get(wire_name)
            if isinstance(raw, str):
                setattr(values, name, clean_document_html(raw[:MAX_SECTION]))
        revision = version.get("revision")
        number = revision if isinstance(revision, int) and 0 < revision < 2**31 else 1
        found.append((values, number))
    return found


def _text(value: Any) -> str:
    """Plain text from a remote value: tags stripped, entities decoded (pages escape it)."""
    return strip_html(value[:1000]) if isinstance(value, str) else ""


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
