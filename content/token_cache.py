"""Bearer tokens' grants remembered in each process, so a page that needs only who reads it
(the home timeline) does not ask the database for the token on every request.

What is remembered is only what cannot change while the token lives: its id, its app, its
login and its scopes, keyed by the token's SHA-256 (the token itself is never kept), and only
for a token of a live account acting as itself (a token acting as another identity is asked
every time, as `personas.may_act_as` must be). It is forgotten:

- when a token is revoked or an account suspended or deleted, by the events
  `content.stream_events` notes in the session's flush and, for statements that revoke or
  delete tokens (`oauth.revoke_all`, an app or an account deleted), in their execution;
  heard after this process's commits and, on PostgreSQL, every other process's through the
  LISTEN the streaming hub already holds (`node.streaming.hub`): the one mechanism;
- all of it, whenever that LISTEN is not known to be open (before it is, after it failed,
  and again once it is back): nothing is remembered while no one would hear a revocation,
  and so nothing on SQLite, where a command such as `harbour account suspend` runs beside
  the node and tells no one;
- after TTL_SECONDS in any case: what no session sees (SQL typed by hand), and what a
  LISTEN cut without an error never brings (a stopped backend, a dropped idle connection:
  with 30 s, a revoked token read the home timeline for 30 s after such a cut, attack4).
  So a grant is kept 1 s, the bound revocations promise elsewhere; a heartbeat on the
  LISTEN would let it be kept longer.

A grant read while an invalidation arrived is not remembered (`epoch`), so a read that
began before a revocation committed cannot put its answer back after the revocation was
heard."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from content.stream_events import StreamEvent

MAX_ENTRIES = 4096
TTL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Grant:
    """What a live token grants: the account it acts as (None: an app's own token) and its
    scopes."""

    token_id: int
    app_id: int
    account_id: int | None
    scopes: str


class TokenCache:
    """One process's (one app's) remembered grants: at most MAX_ENTRIES, least recently used
    first out, each for at most TTL_SECONDS, and only while `trusted`."""

    def __init__(self, size: int = MAX_ENTRIES, ttl: float = TTL_SECONDS) -> None:
        self.size = size
        self.ttl = ttl
        self.trusted = False  # revocations can be heard (set by whoever listens for them)
        self.epoch = 0  # moved on by every invalidation
        self._grants: OrderedDict[str, tuple[float, Grant]] = OrderedDict()

    def get(self, digest: str) -> Grant | None:
        """The grant remembered for a token's digest, if any and fresh."""
        found = self._grants.get(digest)
        if found is None or not self.trusted:
            return None
        kept_at, grant = found
        if time.monotonic() - kept_at > self.ttl:
            del self._grants[digest]
            return None
        self._grants.move_to_end(digest)
        return grant

    def keep(self, digest: str, grant: Grant, epoch: int) -> None:
        """Remember a grant read from the database when the cache was at `epoch`, unless an
        invalidation came since (the read may predate it) or revocations cannot be heard."""
        if not self.trusted or epoch != self.epoch:
            return
        self._grants[digest] = (time.monotonic(), grant)
        self._grants.move_to_end(digest)
        while len(self._grants) > self.size:
            self._grants.popitem(last=False)

    def trust(self, heard: bool) -> None:
        """Whether revocations are heard from now on; every change of that forgets all."""
        self.forget_all()
        self.trusted = heard

    def forget_all(self) -> None:
        self.epoch += 1
        self._grants.clear()

    def heard(self, found: StreamEvent) -> None:
        """Forget what an event makes stale: a revoked token (id 0: tokens revoked by a
        statement, which ones unknown: all), a suspended or deleted account's tokens."""
        if found.kind == "revoked":
            if found.id == 0:
                self.forget_all()
            else:
                self._forget(lambda grant: grant.token_id == found.id)
        elif found.kind == "gone":
            self._forget(lambda grant: grant.account_id == found.id)

    def _forget(self, stale: Callable[[Grant], bool]) -> None:
        self.epoch += 1
        for digest in [d for d, (_, grant) in self._grants.items() if stale(grant)]:
            del self._grants[digest]
