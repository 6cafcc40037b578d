"""The listing form: its fields read from a POST, and who may use it (staff of this node)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from content import accounts, users
from content.accounts import Account
from content.listing_fields import ListingFields
from content.users import Role

STAFF_ROLES = frozenset({Role.STAFF, Role.MODERATOR, Role.ADMIN})
TEXT_FIELDS = (
    "name", "organisation", "country", "region", "city", "summary", "cost", "opening_hours",
    "phone", "email", "website", "messaging", "street_address", "postal_code", "verified_by",
)  # fmt: skip
FLAGS = ("free", "anonymous", "papers_required", "insurance_required", "address_hidden")
MAX_FIELDS = 80
MAX_VALUE = 5000


async def is_staff(session: AsyncSession, viewer: Account | None) -> bool:
    """Whether the viewer publishes listings for this node's organisation."""
    if viewer is None:
        return False
    user = await users.user_of(session, viewer)
    return user is not None and user.role in STAFF_ROLES


async def organisation(session: AsyncSession, username: str) -> Account:
    """The node's organisation actor, in whose name staff publish."""
    found = await accounts.get_local(session, username)
    if found is None:
        raise LookupError("this node has no organisation actor; run `harbour init`")
    return found


def read(form: FormData) -> tuple[ListingFields, dict[str, str]]:
    """The values a form sent, and errors for values that cannot even be read (a date)."""
    values = ListingFields()
    for name in TEXT_FIELDS:
        setattr(values, name, str(form.get(name, ""))[:MAX_VALUE])
    for name in FLAGS:
        setattr(values, name, form.get(name) == "on")
    values.categories = [str(c)[:50] for c in form.getlist("categories")][:30]
    values.languages = [t for t in re.split(r"[\s,]+", str(form.get("languages", ""))) if t][:30]
    errors: dict[str, str] = {}
    raw_date = str(form.get("last_verified", "")).strip()
    if raw_date:
        try:
            values.last_verified = date.fromisoformat(raw_date)
        except ValueError:
            errors["last_verified"] = "Give a date as YYYY-MM-DD."
    return values, errors
