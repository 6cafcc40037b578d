"""WebFinger (RFC 7033): `acct:` URIs and JRD documents."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from activitypub.errors import InvalidDocument
from activitypub.hostnames import InvalidHost, canonical_host
from activitypub.vocab import ACTIVITY_JSON

# The user part of an address and an actor's preferredUsername (an instance actor's is its
# host, with the port where it has one): never starting with a sign a spreadsheet reads as a
# formula (`=`, `+`, `-`, `@`), since addresses go into CSV files.
USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.~:-]{0,254}")


@dataclass(frozen=True)
class Acct:
    """An account address `user@host`, where host may carry a port (`127.0.0.1:8080`)."""

    user: str
    host: str

    def __str__(self) -> str:
        return f"acct:{self.user}@{self.host}"


def parse_acct(resource: str) -> Acct:
    """Parse `acct:user@host`, `user@host` or `@user@host`; the host in canonical form."""
    text = resource.strip()
    text = text.removeprefix("acct:").removeprefix("@")
    user, sep, host = text.rpartition("@")
    try:
        if not sep or not USERNAME.fullmatch(user):
            raise InvalidHost("no user")
        return Acct(user=user, host=canonical_host(host))
    except InvalidHost:
        raise InvalidDocument(
            f"{resource!r} is not an account address of the form user@host"
        ) from None


def build_jrd(acct: Acct, *, actor_id: str, profile_url: str) -> dict[str, Any]:
    """The JRD that points `acct` at its actor document and its profile page."""
    return {
        "subject": str(acct),
        "aliases": [actor_id, profile_url] if profile_url != actor_id else [actor_id],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor_id},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile_url,
            },
        ],
    }


def self_link(jrd: Mapping[str, Any]) -> str:
    """The actor URI a JRD points to (its `self` link of an ActivityPub type)."""
    links = jrd.get("links") if isinstance(jrd, Mapping) else None
    for link in links if isinstance(links, list) else []:
        if (
            isinstance(link, Mapping)
            and link.get("rel") == "self"
            and _is_activitypub_type(link.get("type"))
            and isinstance(link.get("href"), str)
        ):
            return str(link["href"])
    raise InvalidDocument("the JRD has no self link to an ActivityPub actor")


def _is_activitypub_type(media_type: Any) -> bool:
    if not isinstance(media_type, str):
        return False
    base = media_type.split(";", 1)[0].strip()
    return base == ACTIVITY_JSON or (
        base == "application/ld+json" and "activitystreams" in media_type
    )
