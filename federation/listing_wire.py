"""Service listings on the wire: a `Page` that is also a Harbour `ServiceListing`, with
schema.org terms for its fields and readable `content`, so a plain Mastodon user sees a post.
The name and summary come in every language (`nameMap`, `summaryMap`, `contentMap`, the
listing's own language first and in `inLanguage`). A hidden street address never leaves
the node."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from activitypub import AS_CONTEXT, PUBLIC, as_list, id_of
from activitypub.hostnames import same_host
from activitypub.vocab import LISTING_CONTEXT, ObjectType
from content import country_names
from content.accounts import Account
from content.directory import Listing, Wording
from content.languages import language_tag, name_in
from content.listing_fields import MAX_TRANSLATIONS, ListingFields, Translation, label_of
from content.orm import iso
from content.sanitize import strip_html

CONTEXT: list[Any] = [AS_CONTEXT, LISTING_CONTEXT]
TYPES = [str(ObjectType.PAGE), str(ObjectType.SERVICE_LISTING)]


def is_listing(document: Any) -> bool:
    """Whether a document is a Harbour service listing."""
    return isinstance(document, dict) and ObjectType.SERVICE_LISTING in as_list(
        document.get("type")
    )


def owned_by(document: dict[str, Any], actor: Account) -> bool:
    """Origin check: the listing is attributed to `actor` and lives on the actor's host."""
    return (
        isinstance(document.get("id"), str)
        and id_of(document.get("attributedTo")) == actor.uri
        and same_host(document["id"], actor.uri)
    )


def document(listing: Listing, organisation: Account) -> dict[str, Any]:
    """A listing as an object embedded in an activity (no `@context`)."""
    address: dict[str, Any] = {
        "type": "PostalAddress",
        "addressCountry": listing.country,
        "addressRegion": listing.region or None,
        "addressLocality": listing.city or None,
    }
    if not listing.address_hidden:
        address["streetAddress"] = listing.street_address or None
        address["postalCode"] = listing.postal_code or None
    wordings = {tag: listing.wording(tag) for tag in listing.available_languages}
    names = {tag: w.name for tag, w in wordings.items() if w.name_language == tag}
    summaries = {tag: w.summary for tag, w in wordings.items() if w.summary_language == tag}
    return {
        "id": listing.uri,
        "type": TYPES,
        "attributedTo": organisation.uri,
        "to": [PUBLIC],
        "cc": [organisation.followers_uri] if organisation.followers_uri else [],
        "url": listing.uri,
        "inLanguage": listing.language,
        "name": listing.name,
        "nameMap": names,
        "summary": listing.summary or None,
        "summaryMap": {tag: text for tag, text in summaries.items() if text} or None,
        "content": _readable(listing, wordings[listing.language]),
        "contentMap": {tag: _readable(listing, w) for tag, w in wordings.items()},
        "published": iso(listing.created_at),
        "updated": iso(listing.updated_at),
        "provider": {"type": "Organization", "name": listing.organisation},
        "areaServed": {"type": "Place", "address": address},
        "serviceType": listing.categories,
        "availableLanguage": listing.languages,
        "openingHours": listing.opening_hours or None,
        "isAccessibleForFree": listing.free,
        "cost": listing.cost or None,
        "anonymous": listing.anonymous,
        "papersRequired": listing.papers_required,
        "insuranceRequired": listing.insurance_required,
        "telephone": listing.phone or None,
        "email": listing.email or None,
        "website": listing.website or None,
        "messaging": listing.messaging or None,
        "lastVerified": listing.last_verified.isoformat(),
        "verifiedBy": listing.verified_by,
        **({"coVerifiedBy": listing.vouches} if listing.vouches else {}),
    }


def _readable(listing: Listing, wording: Wording) -> str:
    """The listing with one language's name and summary, as short HTML for servers that
    know nothing of listings."""
    place = ", ".join(p for p in (listing.city, country_names.name(listing.country, "en")) if p)
    lines = [
        f"<p><strong>{html.escape(wording.name)}</strong> ({html.escape(listing.organisation)})"
        f"<br>{html.escape(place)}</p>",
    ]
    if wording.summary:
        lines.append(f"<p>{html.escape(wording.summary)}</p>")
    facts = [
        "Services: " + ", ".join(label_of(c) for c in listing.categories),
        "Languages: " + ", ".join(name_in(t, "en") for t in listing.languages),
    ]
    if listing.opening_hours:
        facts.append(f"Opening hours: {listing.opening_hours}")
    facts.append(f"Last verified {listing.last_verified.isoformat()} by {listing.verified_by}")
    lines.append("<p>" + "<br>".join(html.escape(f) for f in facts) + "</p>")
    return "".join(lines)


def fields_of(document: dict[str, Any]) -> ListingFields:
    """A remote listing's values as plain text (any markup stripped), not yet validated.
    A document without language maps is in English and has no translations."""
    area = document.get("areaServed")
    address = area.get("address") if isinstance(area, dict) else None
    address = address if isinstance(address, dict) else {}
    provider = document.get("provider")
    names, summaries = _map(document.get("nameMap")), _map(document.get("summaryMap"))
    language = language_of(document)
    return ListingFields(
        language=language,
        translations=[
            Translation(tag, plain_text(names.get(tag)), plain_text(summaries.get(tag)))
            for tag in list(dict.fromkeys([*names, *summaries]))[: MAX_TRANSLATIONS + 1]
            if tag != language
        ],
        name=plain_text(document.get("name") or names.get(language)),
        organisation=plain_text(provider.get("name") if isinstance(provider, dict) else provider),
        country=plain_text(address.get("addressCountry")),
        region=plain_text(address.get("addressRegion")),
        city=plain_text(address.get("addressLocality")),
        summary=plain_text(document.get("summary") or summaries.get(language)),
        categories=[plain_text(c) for c in as_list(document.get("serviceType"))][:20],
        languages=[plain_text(t) for t in as_list(document.get("availableLanguage"))][:30],
        cost=plain_text(document.get("cost")),
        free=document.get("isAccessibleForFree") is True,
        anonymous=document.get("anonymous") is True,
        papers_required=document.get("papersRequired") is True,
        insurance_required=document.get("insuranceRequired") is True,
        opening_hours=plain_text(document.get("openingHours")),
        phone=plain_text(document.get("telephone")),
        email=plain_text(document.get("email")),
        website=plain_text(id_of(document.get("website"))),
        messaging=plain_text(document.get("messaging")),
        street_address=plain_text(address.get("streetAddress")),
        postal_code=plain_text(address.get("postalCode")),
        last_verified=_date(document.get("lastVerified")),
        verified_by=plain_text(document.get("verifiedBy")),
    )


def _map(value: Any) -> dict[str, Any]:
    """A language map's entries keyed by tags in standard form; other keys are left out."""
    if not isinstance(value, dict):
        return {}
    found: dict[str, Any] = {}
    for key, text in list(value.items())[: MAX_TRANSLATIONS * 2]:
        tag = language_tag(key) if isinstance(key, str) else None
        if tag is not None and isinstance(text, str):
            found.setdefault(tag, text)
    return found


def language_of(document: dict[str, Any]) -> str:
    """The language of a remote listing's own text: `inLanguage`, else the first key of
    `contentMap` (as Mastodon reads it), else English."""
    declared = document.get("inLanguage")
    if isinstance(declared, str) and (tag := language_tag(declared)) is not None:
        return tag
    return next(iter(_map(document.get("contentMap"))), "en")


def plain_text(value: Any) -> str:
    """Plain text from a remote value: tags stripped, entities decoded (pages escape it)."""
    if not isinstance(value, str):
        return ""
    return strip_html(value[:5000])


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
