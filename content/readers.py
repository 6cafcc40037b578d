"""Who reads a page, as much as some pages need of her: her account's id.

An `Account` is a `Reader`; so is `ReaderId`, which the home timeline builds from a token's
remembered grant (`content.token_cache`) without reading the account: a page that takes a
`Reader` can read nothing else of her by mistake (mypy says so), where a half-filled
`Account` would answer None for every column it was not given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Reader(Protocol):
    """Who reads: her account's id."""

    @property
    def id(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ReaderId:
    """A reader known by her account's id alone."""

    id: int
