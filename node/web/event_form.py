"""The event form: its fields read from a POST (start and end as the browser's
`datetime-local` values, wall times in the chosen zone)."""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import FormData

from content.event_fields import EventFields
from node.i18n import N_

TEXT_FIELDS = (
    "title", "description", "language", "time_zone", "place_name", "place_address",
    "online_url", "audience", "registration",
)  # fmt: skip
MAX_FIELDS = 30
MAX_VALUE = 5000


def read(form: FormData) -> tuple[EventFields, dict[str, str]]:
    """The values a form sent, and errors for times that cannot even be read."""
    values = EventFields()
    for name in TEXT_FIELDS:
        setattr(values, name, str(form.get(name, ""))[:MAX_VALUE])
    errors: dict[str, str] = {}
    for name in ("starts", "ends"):
        raw = str(form.get(name, "")).strip()[:40]
        if not raw:
            continue
        try:
            setattr(values, name, datetime.fromisoformat(raw).replace(tzinfo=None, second=0))
        except ValueError:
            errors[name] = N_("Give a date and time as YYYY-MM-DDTHH:MM.")
    return values, errors


def local_value(moment: datetime | None) -> str:
    """A wall time as a `datetime-local` input's value."""
    return moment.strftime("%Y-%m-%dT%H:%M") if moment else ""
