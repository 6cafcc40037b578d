"""Events on the wire: an ActivityStreams `Event` as Mobilizon and Gancio read and write it
(`name`, `content`, `startTime` and `endTime` with the event's UTC offset, Mobilizon's
`timezone`, `location` a `Place` with `name` and `address`, `url` the link to meet online),
plus Harbour's `eventAudience` and `registration`; and a remote one back as fields, its
description sanitised."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from activitypub import AS_CONTEXT, PUBLIC, as_list, id_of
from activitypub.hostnames import same_host
from activitypub.jsonld import preferred_link, web_url
from activitypub.vocab import EVENT_CONTEXT, ObjectType
from content.accounts import Account
from content.event_fields import LONG, EventFields, zone_of
from content.events import Event
from content.orm import iso
from content.sanitize import clean_html
from federation.listing_wire import language_of, plain_text

CONTEXT: list[Any] = [AS_CONTEXT, EVENT_CONTEXT]


def is_event(document: Any) -> bool:
    """Whether a document is an Event."""
    return isinstance(document, dict) and ObjectType.EVENT in as_list(document.get("type"))


def document(event: Event, organisation: Account) -> dict[str, Any]:
    """An event as an object embedded in an activity (no `@context`)."""
    zone = event.zone
    location: dict[str, Any] | None = None
    if event.place_name or event.place_address:
        location = {"type": "Place", "name": event.place_name or event.place_address}
        if event.place_address:
            location["address"] = {
                "type": "PostalAddress",
                "streetAddress": event.place_address,
            }
    return {
        "id": event.uri,
        "type": str(ObjectType.EVENT),
        "attributedTo": organisation.uri,
        "to": [PUBLIC],
        "cc": [organisation.followers_uri] if organisation.followers_uri else [],
        "name": event.title,
        "nameMap": {event.language: event.title},
        "content": event.description_html,
        "contentMap": {event.language: event.description_html},
        "mediaType": "text/html",
        "inLanguage": event.language,
        "startTime": event.starts_at.astimezone(zone).isoformat(),
        "endTime": event.ends_at.astimezone(zone).isoformat(),
        "timezone": event.time_zone,
        "location": location,
        "url": event.online_url or event.uri,
        "eventAudience": event.audience or None,
        "registration": event.registration or None,
        "published": iso(event.created_at),
        "updated": iso(event.updated_at),
    }


def fields_of(document: dict[str, Any]) -> tuple[EventFields, str]:
    """A remote event's values, not yet validated, and its description as sanitised HTML."""
    zone_name = str(document.get("timezone") or "")
    zone = zone_of(zone_name)
    starts, ends = _moment(document.get("startTime")), _moment(document.get("endTime"))
    if zone is None:  # Gancio sends none: the offset the start was written with
        zone_name = "UTC"
        zone = zone_of("UTC")
    values = EventFields(
        title=plain_text(document.get("name")),
        language=language_of(document),
        starts=_wall_clock(starts, zone),
        ends=_wall_clock(ends, zone),
        time_zone=zone_name,
        audience=plain_text(document.get("eventAudience"))[:255],
        registration=plain_text(document.get("registration"))[:LONG],
    )
    if values.starts is not None and values.ends is None:
        values.ends = values.starts  # refused as ending before it starts
    content = document.get("content")
    html = clean_html(content) if isinstance(content, str) else ""
    values.description = plain_text(html)[:LONG]
    place = next((p for p in as_list(document.get("location")) if isinstance(p, dict)), None)
    if place is not None:
        values.place_name = plain_text(place.get("name"))
        values.place_address = _address(place.get("address"))
    link = web_url(preferred_link(document.get("url")))
    if link and isinstance(document.get("id"), str) and not same_host(link, document["id"]):
        values.online_url = link
    return values, html


def owner_of(document: dict[str, Any]) -> str | None:
    """Who the event says published it: `attributedTo` (Mobilizon adds `organizerActor`)."""
    return id_of(document.get("attributedTo"))


def _address(value: Any) -> str:
    """A `PostalAddress` (Mobilizon) or a string (Gancio) as one line of text."""
    if isinstance(value, dict):
        parts = ("streetAddress", "postalCode", "addressLocality", "addressRegion")
        return ", ".join(p for p in (plain_text(value.get(k)) for k in parts) if p)[:255]
    return plain_text(value)[:255]


def _wall_clock(moment: datetime | None, zone: tzinfo | None) -> datetime | None:
    """The moment as a clock in `zone` shows it; None for none, or one no clock can show
    (the first or last day of year 1 or 9999, moved past the calendar's end)."""
    try:
        return moment.astimezone(zone).replace(tzinfo=None) if moment else None
    except OverflowError:
        return None


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 time with its offset (none: UTC, as Gancio writes)."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value[:40])
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=zone_of("UTC"))
