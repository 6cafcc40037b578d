"""An event's fields as staff fill them in (or as read from another server), and
`validate()`, which raises `EventError` with one message per field. Start and end are wall
times in the event's own IANA time zone (zoneinfo); `starts_at`/`ends_at` give them in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from content.field_errors import FieldErrors
from content.interface_text import N_, Message
from content.languages import language_tag

SHORT = 255
LONG = 5000
MAX_ZONE = 64
TEXT_FIELDS = ("title", "place_name", "place_address", "online_url", "audience")


class EventError(FieldErrors):
    """An event's values are not valid."""


@dataclass
class EventFields:
    """What an event says. `starts`/`ends` are naive wall times in `time_zone`."""

    title: str = ""
    description: str = ""
    language: str = "en"
    starts: datetime | None = None
    ends: datetime | None = None
    time_zone: str = ""
    place_name: str = ""
    place_address: str = ""
    online_url: str = ""
    audience: str = ""
    registration: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.time_zone) or ZoneInfo("UTC")

    @property
    def starts_at(self) -> datetime:
        """The start in UTC (validated values only)."""
        assert self.starts is not None
        return self.starts.replace(tzinfo=self.zone).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        """The end in UTC (validated values only)."""
        assert self.ends is not None
        return self.ends.replace(tzinfo=self.zone).astimezone(UTC)


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA time zone name zoneinfo knows, sorted (the forms' suggestions)."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def zone_of(name: str) -> ZoneInfo | None:
    """The IANA time zone called `name`, or None for anything else (never a file path)."""
    if not name or len(name) > MAX_ZONE or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):
        return None
    if ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def validate(values: EventFields) -> None:
    """Normalise `values` in place, or raise EventError with one message per bad field."""
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        setattr(values, name, " ".join(getattr(values, name).split()))
    values.description = values.description.strip()
    values.registration = values.registration.strip()
    if not values.title:
        errors["title"] = N_("This field is required.")
    for name in TEXT_FIELDS:
        if len(getattr(values, name)) > SHORT:
            errors[name] = Message(N_("At most %(count)s characters."), count=SHORT)
    for name in ("description", "registration"):
        if len(getattr(values, name)) > LONG:
            errors[name] = Message(N_("At most %(count)s characters."), count=LONG)
    tag = language_tag(values.language)
    if tag is None:
        errors["language"] = N_("Choose a language.")
    else:
        values.language = tag
    if zone_of(values.time_zone) is None:
        errors["time_zone"] = N_("Choose a time zone, such as Europe/Bucharest.")
    if values.starts is None:
        errors.setdefault("starts", N_("Give the date and time it starts."))
    if values.ends is None:
        errors.setdefault("ends", N_("Give the date and time it ends."))
    elif values.starts is not None and values.ends <= values.starts:
        errors["ends"] = N_("It must end after it starts.")
    if values.online_url and not re.match(r"https?://[^\s/]+\.[^\s]+$", values.online_url):
        errors["online_url"] = N_("A web address starts with https:// (or http://).")
    if not (values.place_name or values.place_address or values.online_url):
        errors["place_name"] = N_("Give a place, or a link to meet online.")
    if errors:
        raise EventError(errors)
