"""Reading another organisation's published domain list: Mastodon's
`/api/v1/instance/domain_blocks` JSON, a Mastodon domain-block CSV, or a plain list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import Any

from activitypub import InvalidDocument, read_json
from moderation.domain_blocks import BlockTerms, DomainBlockError, Severity, parse_csv
from moderation.domain_names import names_a_server, normalise

MAX_ENTRIES = 100_000


class Readers(StrEnum):
    """Who may read this node's own domain blocks (`/api/v1/instance/domain_blocks`), or
    their public reasons: public blocklists have been used to target the admins who publish
    them. Mastodon's `all`, `users` and `disabled`, with partners: moderators and admins
    (with a token) read what partners may, whatever the setting but `nobody`."""

    EVERYONE = "everyone"
    MEMBERS = "members"  # any member's app, and partners
    PARTNERS = "partners"  # a GET signed by a server on the allowlist (not suspended)
    NOBODY = "nobody"

    def admits(self, reader: Reader) -> bool:
        """Whether `reader` may read what this setting guards."""
        if self == Readers.NOBODY:
            return False
        return (
            reader
            >= {
                Readers.EVERYONE: Reader.ANYONE,
                Readers.MEMBERS: Reader.MEMBER,
                Readers.PARTNERS: Reader.PARTNER,
            }[self]
        )


class Reader(IntEnum):
    """Who asks for the list, from the least trusted."""

    ANYONE = 0
    MEMBER = 1
    PARTNER = 2
    STAFF = 3


class ListFormatError(ValueError):
    """A published list that is neither a usable JSON list nor CSV; the message says why."""


@dataclass(frozen=True)
class Published:
    """A parsed list: the usable entries, and the names that cannot be applied (with why)."""

    entries: tuple[BlockTerms, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def parse(body: bytes, content_type: str = "") -> Published:
    """A published list from its bytes, as JSON (an array of block entities or of domains)
    or as CSV / one domain a line. Obfuscated domains (with `*`) and names that are not
    domains are skipped, never guessed."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListFormatError("the list is not UTF-8 text") from None
    stripped = text.lstrip()
    if "json" in content_type or stripped.startswith(("[", "{")):
        return _checked(_from_json(text))
    if "html" in content_type or stripped.startswith("<"):
        raise ListFormatError("the list is neither JSON nor CSV (it looks like a web page)")
    try:
        terms = parse_csv(text)
    except DomainBlockError as error:
        raise ListFormatError(f"the list is neither JSON nor CSV ({error})") from None
    return _checked(terms)


def _from_json(text: str) -> list[BlockTerms]:
    try:
        document = read_json(text)
    except InvalidDocument as error:
        raise ListFormatError(f"the list is not valid JSON: {error}") from None
    if not isinstance(document, list):
        raise ListFormatError("the JSON is not a list of domains")
    return [_entry(item, number) for number, item in enumerate(document, start=1)]


def _entry(item: Any, number: int) -> BlockTerms:
    if isinstance(item, str):
        return BlockTerms(item)
    if not isinstance(item, dict) or not isinstance(item.get("domain"), str):
        raise ListFormatError(f"entry {number} has no domain")
    try:
        severity = Severity(item.get("severity") or Severity.SUSPEND)
    except ValueError:
        raise ListFormatError(f"entry {number} has an unknown severity") from None
    return BlockTerms(
        domain=item["domain"],
        severity=severity,
        reject_media=item.get("reject_media") is True,
        reject_reports=item.get("reject_reports") is True,
        public_comment=str(item.get("comment") or item.get("public_comment") or ""),
    )


def _checked(entries: list[BlockTerms]) -> Published:
    if len(entries) > MAX_ENTRIES:
        raise ListFormatError(f"the list has more than {MAX_ENTRIES} entries")
    usable: dict[str, BlockTerms] = {}
    skipped: list[tuple[str, str]] = []
    for entry in entries:
        name = normalise(entry.domain)
        if "*" in name:
            skipped.append((entry.domain, "obfuscated"))
        elif not names_a_server(name) or any(c.isspace() for c in name):
            skipped.append((entry.domain, "not a domain"))
        else:
            usable[name] = replace(entry, domain=name, private_comment="")
    return Published(tuple(usable.values()), tuple(skipped))
