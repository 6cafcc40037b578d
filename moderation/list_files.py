"""Mastodon's CSV files of a member's lists, read and written as Mastodon does.

`following_accounts.csv` has the header `Account address,Show boosts,Notify on new posts,
Languages`; `muted_accounts.csv` has `Account address,Hide notifications`;
`blocked_accounts.csv`, `blocked_domains.csv` and `bookmarks.csv` hold one value a line with
no header. Reading takes each with or without its header (older Mastodon files have none),
and refuses a whole file that is not what it says, naming the first line that is wrong, so
nothing in it is dropped unseen."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from activitypub import InvalidDocument, parse_acct, web_url
from activitypub.hostnames import InvalidHost, canonical_host
from content.interface_text import N_, Message
from moderation.domain_names import normalise

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
ADDRESS = "Account address"
NOT_ACCOUNT = N_("Line %(line)s, “%(value)s”, is not an address such as name@server.example.")
NOT_SERVER = N_("Line %(line)s, “%(value)s”, is not a server name such as server.example.")
NOT_POST = N_("Line %(line)s, “%(value)s”, is not the address of a post.")
NOT_CSV = N_("The file is not a CSV text file (UTF-8).")
TOO_MANY = N_("The file has %(count)s lines; one import takes at most %(most)s. Split it.")


class Kind(StrEnum):
    """A list a member can take elsewhere, named by Mastodon's file for it."""

    FOLLOWING = "following_accounts"
    BLOCKS = "blocked_accounts"
    MUTES = "muted_accounts"
    DOMAIN_BLOCKS = "blocked_domains"
    BOOKMARKS = "bookmarks"

    @property
    def file_name(self) -> str:
        return f"{self.value}.csv"

    @property
    def names_accounts(self) -> bool:
        return self in (Kind.FOLLOWING, Kind.BLOCKS, Kind.MUTES)


HEADERS = {
    Kind.FOLLOWING: [ADDRESS, "Show boosts", "Notify on new posts", "Languages"],
    Kind.MUTES: [ADDRESS, "Hide notifications"],
}


WANTED = {
    Kind.FOLLOWING: NOT_ACCOUNT,
    Kind.BLOCKS: NOT_ACCOUNT,
    Kind.MUTES: NOT_ACCOUNT,
    Kind.DOMAIN_BLOCKS: NOT_SERVER,
    Kind.BOOKMARKS: NOT_POST,
}


class ListFileError(ValueError):
    """The file cannot be imported; the message (a `Message`) says why, for the member."""


@dataclass(frozen=True)
class Entry:
    """One line of a list: an address (`user@host`), a domain or a post's URL, and, for a
    mute, whether notifications are hidden too."""

    value: str
    hide_notifications: bool = True


def write(kind: Kind, rows: Iterable[Entry]) -> str:
    """The list as Mastodon writes its file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if kind in HEADERS:
        writer.writerow(HEADERS[kind])
    for entry in rows:
        if kind is Kind.FOLLOWING:
            writer.writerow([entry.value, "true", "false", ""])
        elif kind is Kind.MUTES:
            writer.writerow([entry.value, str(entry.hide_notifications).lower()])
        else:
            writer.writerow([entry.value])
    return out.getvalue()


def read(kind: Kind, data: bytes, local_domain: str) -> list[Entry]:
    """The entries of an uploaded file, each once, in the file's order; a bare `name` is an
    account on this node. ListFileError for a file too large, not UTF-8 text, empty, over
    MAX_ROWS lines, or with a line that is not what the list holds."""
    if len(data) > MAX_BYTES:
        raise ListFileError(Message(N_("The file is larger than %(size)s."), size="1 MiB"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListFileError(NOT_CSV) from None
    try:
        lines = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), 1) if any(row)]
    except csv.Error:  # a field over the csv module's limit, a stray NUL
        raise ListFileError(NOT_CSV) from None
    if lines and lines[0][1][0].strip().lower() == ADDRESS.lower():
        lines = lines[1:]
    if not lines:
        raise ListFileError(N_("The file has no lines to import."))
    if len(lines) > MAX_ROWS:
        raise ListFileError(Message(TOO_MANY, count=str(len(lines)), most=str(MAX_ROWS)))
    entries: dict[str, Entry] = {}
    for number, row in lines:
        value = _value(kind, row[0].strip(), local_domain)
        if value is None:
            raise ListFileError(Message(WANTED[kind], line=str(number), value=row[0].strip()[:100]))
        hide = kind is not Kind.MUTES or len(row) < 2 or row[1].strip().lower() != "false"
        entries.setdefault(value.lower(), Entry(value, hide))
    return list(entries.values())


def _value(kind: Kind, text: str, local_domain: str) -> str | None:
    """The line's value in its one written form, or None if it is not one."""
    if kind.names_accounts:
        name = text.removeprefix("@")
        try:
            acct = parse_acct(name if "@" in name else f"{name}@{local_domain}")
        except InvalidDocument:
            return None
        return f"{acct.user}@{acct.host}"
    if kind is Kind.DOMAIN_BLOCKS:
        try:
            return canonical_host(normalise(text))
        except InvalidHost:
            return None
    return text if web_url(text) else None
