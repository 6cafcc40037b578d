"""What the streaming API tells open streams, noticed where it is stored: a new post, an edit,
a deletion, a notification, an account suspended or deleted, a token revoked. Every path
that stores them (the web, the client API, the worker applying other servers' activities)
goes through a session, so the session's flush is where they are noticed, once, and not at
each call site; deletions, which are statements rather than objects, say so (`deleted`).

They leave only once the transaction commits: on PostgreSQL as a NOTIFY in that
transaction (every process of the node LISTENs, `node.streaming.hub`), on SQLite to the one
process's sinks after the commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

CHANNEL = "harbour_stream"
PENDING = "stream_events"
ANNOUNCED = "stream_events_announced"
# Tables whose rows an UPDATE or DELETE statement may take a live token's grant from (the
# token, its app, its account): such a statement is told as "revoked" with id 0.
REVOKING = frozenset({"access_tokens", "oauth_apps", "accounts"})


@dataclass(frozen=True)
class StreamEvent:
    """One fact for open streams: `kind` is post, edit, delete, boost, notification, gone
    (an account suspended or deleted) or revoked (a token; id 0: tokens, apps or accounts
    changed by a statement, which tokens unknown); `id` the row's id. A deletion
    carries the post's author and whether it was public, since the row is gone."""

    kind: str
    id: int
    author: int = 0
    public: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text_: str) -> StreamEvent:
        """The event a NOTIFY's payload names; ValueError for anything else (an escaped
        OverflowError, from `"id": 1e400`, ended a hub's listener: attack on it)."""
        try:
            values: dict[str, Any] = json.loads(text_)
            return cls(
                kind=str(values["kind"]),
                id=int(values["id"]),
                author=int(values.get("author", 0)),
                public=bool(values.get("public", False)),
            )
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as error:
            raise ValueError(f"not a stream event: {type(error).__name__}") from error


Sink = Callable[[StreamEvent], None]
SINKS: list[Sink] = []  # this process's hubs (on SQLite, where nothing else can hear)
# Told this process's own committed events on either database, as soon as they commit
# (`content.token_cache`: a process forgets a grant it revoked itself without waiting for
# its NOTIFY to come back).
COMMITTED: list[Sink] = []


def deleted(session: AsyncSession, post_id: int, author_id: int, public: bool) -> None:
    """Note that a post is being deleted (by a statement the flush does not see)."""
    _note(session.sync_session, StreamEvent("delete", post_id, author_id, public))


def _note(session: Session, found: StreamEvent) -> None:
    session.info.setdefault(PENDING, []).append(found)


@event.listens_for(Session, "after_flush")
def _noticed(session: Session, _context: object) -> None:
    """Note what this flush stored that streams tell."""
    for row in session.new:
        table = _table(row)
        if table == "posts":
            _note(session, StreamEvent("post", row.id))
        elif table == "notifications":
            _note(session, StreamEvent("notification", row.id))
        elif table == "interactions" and row.kind == "boost":
            _note(session, StreamEvent("boost", row.id))
    for row in session.dirty:
        table = _table(row)
        if table == "posts" and _changed(row, "edited_at"):
            _note(session, StreamEvent("edit", row.id))
        elif table == "accounts" and (_changed(row, "suspended_at") or _changed(row, "deleted_at")):
            _note(session, StreamEvent("gone", row.id))
        elif table == "access_tokens" and _changed(row, "revoked_at"):
            _note(session, StreamEvent("revoked", row.id))
    for row in session.deleted:
        if _table(row) in REVOKING:  # a token, or its app or account (and so the token)
            _note(session, StreamEvent("revoked", 0))


@event.listens_for(Session, "do_orm_execute")
def _statement(state: ORMExecuteState) -> None:
    """An UPDATE or DELETE statement on tokens, apps or accounts (`oauth.revoke_all`, an
    erasure): which tokens it revokes is not known here, so it is told as id 0 (all)."""
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in REVOKING:
            _note(state.session, StreamEvent("revoked", 0))


@event.listens_for(Session, "before_commit")
def _announce(session: Session) -> None:
    """On PostgreSQL, NOTIFY in the committing transaction: heard only if it commits."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.flush()  # the commit's own flush comes after this hook: note what it stores
    found = session.info.get(PENDING)
    if not found:
        return
    # One statement for them all, the payloads one array: a batch of inbox items stores two
    # events an item (512 for 256 notes), and as an executemany each was a statement of its
    # own in psycopg's pipeline (512 events: 88-124 ms and 9.5-14.7 ms of CPU, against
    # 36-67 ms and 5.8-9.4 ms unnested, under load).
    session.execute(
        text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
        {"channel": CHANNEL, "payloads": [one.to_json() for one in found]},
    )
    session.info[PENDING] = []
    session.info.setdefault(ANNOUNCED, []).extend(found)


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    """Hand what was committed to this process's `COMMITTED` sinks and, on SQLite, to its
    hubs."""
    found = session.info.pop(PENDING, None) or []
    for one in found:
        for sink in SINKS:
            sink(one)
    for one in [*found, *session.info.pop(ANNOUNCED, ())]:
        for sink in COMMITTED:
            sink(one)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(ANNOUNCED, None)


def _table(row: object) -> str:
    """The table a mapped row is of (by name: this module is below the models it watches)."""
    return str(getattr(row, "__tablename__", ""))


def _changed(row: object, attribute: str) -> bool:
    history = inspect(row).attrs[attribute].history
    return bool(history.added) and history.added[0] is not None
