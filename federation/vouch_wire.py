"""Co-verification on the wire (DESIGN.md section 6, "Co-verification"): an organisation
that checked another's listing or country page says so in a statement of its own, signed
with its FEP-8b32 proof, so that every node can check who made it however many servers it
passed through:

    {"type": "CoVerification", "id": <statement id>, "attributedTo": <organisation>,
     "object": <listing or country page id>, "verifiedOn": "2026-12-05",
     "published": …, "proof": {…}}

It reaches the object's origin as an `Add` by the organisation to the object (`target`);
the origin keeps it and sends the object again, carrying every statement in `coVerifiedBy`,
and each mirror keeps those whose proof verifies."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from activitypub import AS_CONTEXT, as_list, id_of
from activitypub.hostnames import InvalidHost, host_of, same_host
from activitypub.vocab import CO_VERIFICATION_TERMS, HARBOUR_NS, SCHEMA_NS, ObjectType
from content.accounts import Account
from content.orm import iso, new_id, utcnow
from content.provenance import is_stale
from moderation.domain_names import site_of

CONTEXT: list[Any] = [
    AS_CONTEXT,
    {"harbour": HARBOUR_NS, "schema": SCHEMA_NS, **CO_VERIFICATION_TERMS},
]
MAX_READ = 20  # statements an object carries that are read at all
TYPE = str(ObjectType.CO_VERIFICATION)
# A statement is these and nothing more, and small: one a partner pads out would make
# every copy of the object too large for its mirrors' inboxes.
FIELDS = frozenset(
    {"@context", "id", "type", "attributedTo", "object", "verifiedOn", "published", "proof"}
)
MAX_BYTES = 4096


def statement(organisation: Account, object_uri: str, on: date) -> dict[str, Any]:
    """The organisation's statement that it checked the object on `on` (to be proven)."""
    return {
        "@context": CONTEXT,
        "id": f"{organisation.uri}#co-verifications/{new_id()}",
        "type": TYPE,
        "attributedTo": organisation.uri,
        "object": object_uri,
        "verifiedOn": on.isoformat(),
        "published": iso(utcnow()),
    }


def add(organisation: Account, proven: dict[str, Any], owner_uri: str) -> dict[str, Any]:
    """The statement, added to the object, as it travels to the object's `owner_uri`."""
    return {
        "@context": CONTEXT,
        "id": f"{organisation.uri}#adds/{new_id()}",
        "type": "Add",
        "actor": organisation.uri,
        "object": proven,
        "target": proven["object"],
        "to": [owner_uri],
    }


def is_statement(document: Any) -> bool:
    """Whether a document is a co-verification statement."""
    return isinstance(document, dict) and TYPE in as_list(document.get("type"))


def read(document: Any, object_uri: str, today: date) -> tuple[str, date] | None:
    """Who made a statement about `object_uri` and on which day they checked it; None if it
    is not one, is about something else, is dated ahead (beyond a day for clocks) or is
    stale. Its proof is checked apart (`federation.vouches`)."""
    if not is_statement(document) or id_of(document.get("object")) != object_uri:
        return None
    if not FIELDS.issuperset(document) or len(json.dumps(document)) > MAX_BYTES:
        return None
    author = id_of(document.get("attributedTo"))
    if author is None or not same_host(str(document.get("id", "")), author):
        return None
    try:
        on = date.fromisoformat(str(document.get("verifiedOn", ""))[:10])
    except ValueError:
        return None
    if on > today + timedelta(days=1) or is_stale(on, today):
        return None
    return author, on


def carried(document: dict[str, Any]) -> list[Any]:
    """The statements an object's document carries (at most MAX_READ are read)."""
    return as_list(document.get("coVerifiedBy"))[:MAX_READ]


def with_statement(kept: list[dict[str, Any]], statement: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements kept, with `statement` instead of any earlier one from its maker's
    site (one organisation a site: more actors on one server, or its sub-domains, add no
    more names)."""
    site = maker_site(statement)
    others = [s for s in kept if maker_site(s) != site]
    return [*others, statement][-MAX_READ:]


def maker_site(statement: dict[str, Any]) -> str:
    """The site of the statement's maker, as it says."""
    return site(id_of(statement.get("attributedTo")) or "")


def site(uri: str) -> str:
    """The registrable domain of the server `uri` is on (`site_of`); a URI naming no host
    is its own."""
    try:
        return site_of(host_of(uri))
    except InvalidHost:
        return uri


def merged(lists: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The statements of several rows of one object, one (the last seen) per maker's site."""
    kept: list[dict[str, Any]] = []
    for statements in lists:
        for statement in statements:
            kept = with_statement(kept, statement)
    return kept
