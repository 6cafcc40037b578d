"""Inbound activities: checked and stored by `receive`, applied later by the worker.

`receive` runs in the request: size and shape, digest and signature, key owner and origin,
the federation policy, then a durable row (deduplicated by actor and activity id). `apply`
runs in the worker and hands the stored activity to its handler in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Insert,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    true,
    update,
)
from sqlalchemy.engine import Compiled
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from activitypub import InvalidDocument, SignatureError, id_of, read_document
from activitypub.hostnames import InvalidHost, check_canonical
from activitypub.message_signatures import check_body_digest, signing_key_id
from activitypub.signatures import RequestParts
from activitypub.vocab import MAX_ID_LENGTH
from content import accounts
from content.orm import Base, insert_of, json_rows, new_id, utcnow
from content.writer_turns import commit_if
from federation import hosts, proofs
from federation.authenticity import NotAuthentic, check_origin, signed_by
from federation.context import Federation
from federation.delivery import Delivery
from federation.group_commit import GroupCommit
from federation.jobs import CHANNEL, Job, claim_index
from federation.keys import RemoteKey
from moderation import quarantine
from moderation.domain_names import site_of
from moderation.policy import FederationMode
from moderation.rate_limits import Action, RateLimited
from moderation.verdicts import GENERATION, LOCKDOWN, Verdicts, state

MAX_DEPTH = 16


class InboxItem(Job, Base):
    """A verified activity waiting to be applied (or kept as applied, for deduplication).
    An activity id is unique per actor: origin checks hold ids to the actor's host only, so
    across actors another account there could take an id first and have the real one
    dropped as a duplicate."""

    __tablename__ = "inbox_items"
    __table_args__ = (UniqueConstraint("actor_id", "activity_id"), claim_index("inbox_items"))

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    activity_id: Mapped[str] = mapped_column(String(2048))
    activity_type: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why it ended as it did, when it was refused or ignored (e.g. "not relevant here").
    outcome: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Outcome:
    """How the inbox answers: 202 accepted, or an error status with a clear message."""

    status: int
    message: str
    retry_after: int | None = None


class Stored(Enum):
    """What became of an item handed to the shared commit."""

    NEW = "new"
    DUPLICATE = "duplicate"  # the actor's activity id is here already
    REFUSED = "refused"  # a block committed meanwhile: its row was taken out again


@dataclass(frozen=True)
class _Arrival:
    """An item to store, with the servers the policy let it in for, under which generation
    of the policy (None: verdicts of two generations, so asked again when stored); the
    mode is the one configured (lockdown comes with the generation)."""

    row: dict[str, Any]
    servers: tuple[str, ...]
    mode: FederationMode
    generation: int | None


async def receive(fed: Federation, parts: RequestParts) -> Outcome:
    """Check an inbox POST and store it for the worker; never applies anything itself."""
    try:
        activity = _parse(parts.body)
    except ValueError as error:
        return Outcome(400, str(error))
    try:
        actor_uri = str(id_of(activity.get("actor")))
        host = check_canonical(actor_uri)
        id_host = check_canonical(activity["id"])
    except InvalidHost as error:
        return Outcome(400, str(error))
    session = OnDemand(fed.sessions)
    try:
        checked = await _checked(fed, session, parts, activity, actor_uri, (host, id_host))
    finally:
        await session.close()  # before the shared commit: no connection held while it waits
    if isinstance(checked, Outcome):
        return checked
    stored = await _writes(fed).write(checked)
    if stored is Stored.REFUSED:
        return Outcome(403, REFUSED)
    if stored is Stored.DUPLICATE:
        return Outcome(202, "already received")
    fed.notify()
    return Outcome(202, "accepted")


class OnDemand:
    """A request's database session, opened when first asked for (`session()`): a known
    server's POST, its verdict and key in memory, reads and writes nothing before the
    shared commit, and opening and closing a session it never used cost it 3-4 % of its CPU."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    def __call__(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessions()
        return self._session

    async def commit(self) -> None:
        """Commit what the session wrote, if it was opened and wrote anything."""
        if self._session is not None and self._session.in_transaction():
            await self._session.commit()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _checked(
    fed: Federation,
    session: OnDemand,
    parts: RequestParts,
    activity: dict[str, Any],
    actor_uri: str,
    origin: tuple[str, str],
) -> _Arrival | Outcome:
    """What `receive` stores for a request whose checks hold, else its answer; `origin`:
    the canonical hosts of the activity's actor and id."""
    host = origin[0]
    mode = fed.mode  # as configured: lockdown is read with the policy's generation
    # Remembered verdicts only when nothing will be fetched from the host on the way.
    fresh = "proof" in activity or not _key_in_memory(fed, parts)
    known = None if fresh else fed.verdicts.get(host, mode)
    if known is not None and known[0]:  # a remembered yes: the item's commit checks it
        allowed, asked_at = known
    else:
        # Not remembered until the signature and origin hold: hosts made up by strangers
        # must not push known servers' verdicts out of memory.
        allowed, asked_at = await fed.verdicts.ask(
            session(), host, mode, fresh=fresh, vouched=False
        )
    generation: int | None = asked_at
    if not allowed:
        return Outcome(403, REFUSED)
    if id_of(activity.get("object")) == actor_uri and activity["type"] == "Delete":
        if await accounts.get_by_uri(session(), actor_uri) is None:
            # Its key is gone with it, and there is nothing of it here to remove.
            return Outcome(202, "an account this node never knew was deleted")
    servers: tuple[str, ...] = (host,)
    try:
        check_body_digest(parts)
        key = await signed_by(fed, session, parts)
        # Before anything more is fetched; by registrable domain: sub-domains cost nothing.
        await fed.limits.take(Action.INBOX, site_of(key.domain))
        await session.commit()  # a key fetched on the way; no lock across what follows
        forwarded = key.actor_uri != actor_uri
        author = await _proven(fed, session, activity, forwarded=forwarded)
        if author is not None and key.domain != host:  # forwarded: the forwarder's say
            allowed, also = await fed.verdicts.ask(session(), key.domain, mode)
            if not allowed:
                return Outcome(403, REFUSED)
            servers = (host, key.domain)
            generation = generation if also == generation else None
        check_origin(activity, author or key, origin)
        fed.verdicts.vouch(host, mode, asked_at)
    except SignatureError as error:
        return Outcome(401, str(error))
    except NotAuthentic as error:
        await session.commit()  # keep a key fetched on the way, for the next request
        return Outcome(error.status, str(error))
    except RateLimited as limited:  # too many keys fetched, or activities sent
        await session.commit()
        return Outcome(429, str(limited), limited.retry_after)
    if fed.first_word_in_a_while(key.domain):
        await quarantine.meet(session(), key.domain, fed.days_of_quarantine())
        if await hosts.heard_from(session(), key.domain):
            await _make_due_now(session(), key.domain)
    await session.commit()  # what was met on the way; the item goes in a shared commit
    row = {
        "activity_id": activity["id"],
        "activity_type": str(activity["type"])[:64],
        "actor_id": (author or key).account_id,
        "body": parts.body.decode("utf-8"),
    }
    return _Arrival(row, servers, mode, generation)


REFUSED = "this node does not federate with your server"


def _key_in_memory(fed: Federation, parts: RequestParts) -> bool:
    """Whether the request's signing key is known without a fetch."""
    try:
        return fed.keys.get(signing_key_id(parts)) is not None
    except SignatureError:
        return False


def _writes(fed: Federation) -> GroupCommit[_Arrival, Stored]:
    """The group commit storing the inbox items of `fed`'s database, kept by `fed` (in a
    module-level weak dictionary by `fed.sessions`, which each group commit holds, no entry
    ever went: every in-process node of a test run stayed in memory with its engine and
    compiled statements, ~6,000 objects a test)."""
    if (writes := fed.inbox_writes) is None:
        verdicts = fed.verdicts
        engine: AsyncEngine = fed.sessions.kw["bind"]

        async def store(session: AsyncSession, arrivals: Sequence[_Arrival]) -> list[Stored]:
            return await _store(session, verdicts, arrivals)

        if engine.dialect.name == "postgresql":
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")

        async def quick(
            connection: AsyncConnection, arrivals: Sequence[_Arrival]
        ) -> list[Stored] | None:
            return await _alone(connection, verdicts, arrivals)

        writes = GroupCommit(fed.sessions, store, quick, hold=engine.connect)
        fed.inbox_writes = writes
    return writes


@cache  # built once for each database and kind
def _insert(dialect: str, *, unmoved: bool = False) -> Insert:
    """`INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING id, (the policy's generation)`
    for the items, built once. The rows come as one JSON text (`json_rows`): one statement
    text whatever the batch's size, so PostgreSQL's psycopg prepares it (with a list of rows,
    insertmanyvalues wrote a text for each size, never prepared), and one parameter `json`
    writes in C (an array a column, escaped by psycopg in Python element by element, cost a
    sixth of the accept path's CPU). On PostgreSQL each row added also announces new work
    (`jobs.announce`'s NOTIFY, sent once however many rows call it, at commit): one round
    trip a batch fewer. `unmoved`: rows are added only while the policy's generation is
    `:generation` (`_alone`)."""
    wake = (func.pg_notify(CHANNEL, ""),) if dialect == "postgresql" else ()
    current = func.coalesce(GENERATION.scalar_subquery(), 0)
    # SQLite reads an upsert's SELECT only with a WHERE clause, even `WHERE true`.
    rows = json_rows(dialect, _TABLE, _EACH, _SAME).where(
        current == bindparam("generation") if unmoved else true()
    )
    return (
        insert_of(dialect)(_TABLE)
        .from_select([*_EACH, *_SAME], rows)
        .on_conflict_do_nothing(index_elements=["actor_id", "activity_id"])
        .returning(_TABLE.c.id, GENERATION.scalar_subquery(), LOCKDOWN.scalar_subquery(), *wake)
    )


_EACH = ("id", "activity_id", "activity_type", "actor_id", "body")  # one value a row
_SAME = ("received_at", "next_attempt_at", "state", "attempts")  # one value a batch


def _parameters(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What `_insert` is run with: the rows as one JSON text, and the values they share."""
    now = utcnow()
    same = {"received_at": now, "next_attempt_at": now, "state": "queued", "attempts": 0}
    return {"rows": json.dumps(rows), **same}


# SQLite's statement for `write_alone`, compiled once, its parameters' order and converters.
_SQLITE_ALONE: dict[str, tuple[Compiled, list[str], dict[str, Any]]] = {}
_TABLE: Table = InboxItem.__table__  # type: ignore[assignment]


async def _store(
    session: AsyncSession, verdicts: Verdicts, arrivals: Sequence[_Arrival]
) -> list[Stored]:
    """Add the items in one statement (the inbox's hot path: Core, no ORM unit of work),
    which also reads the policy's generation in the same transaction: an item let in under another
    generation has its servers asked again here, and is taken out if one is refused now (a
    block committed since). What was added is announced by the statement itself (`_insert`)."""
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    rows = [{**arrival.row, "id": new_id()} for arrival in arrivals]
    generations = {arrival.generation for arrival in arrivals}

    def complete(returned: Sequence[Any]) -> bool:
        """Whether nothing is left to do after the INSERT: every item was let in under the
        generation it read (SQLite commits it in the same hand-off: `commit_if`)."""
        return bool(returned) and generations == {returned[0][1] or 0}

    with commit_if(complete):
        returned = (await session.execute(_insert(dialect), _parameters(rows))).all()
    added = {row[0] for row in returned}
    # The generation and lockdown come back with the rows (after the INSERT took the write lock);
    # read alone only when every item was a duplicate.
    policy = (returned[0][1] or 0, bool(returned[0][2])) if returned else await state(session)
    verdicts.settle(*policy)
    asked: dict[tuple[str, FederationMode], bool] = {}
    answers, refused = [], []
    for arrival, row in zip(arrivals, rows, strict=True):
        if arrival.generation != policy[0]:
            for server in arrival.servers:
                if (server, arrival.mode) not in asked:
                    verdict = await verdicts.decide(session, server, arrival.mode, policy)
                    asked[(server, arrival.mode)] = verdict
            if not all(asked[(server, arrival.mode)] for server in arrival.servers):
                answers.append(Stored.REFUSED)
                refused.append(row["id"])
                continue
        answers.append(Stored.NEW if row["id"] in added else Stored.DUPLICATE)
    if refused:
        await session.execute(delete(_TABLE).where(_TABLE.c.id.in_(refused)))
    return answers  # new work announced by the INSERT (on SQLite, by `receive`: fed.notify)


async def _alone(
    connection: AsyncConnection, verdicts: Verdicts, arrivals: Sequence[_Arrival]
) -> list[Stored] | None:
    """A batch let in under one generation of the policy stored by its INSERT as a
    transaction of its own on `connection` (held by the group commit for a run of batches),
    adding its rows only if the policy's generation is still theirs, outside an ORM session
    (its commit and its close cost a quarter of a batch's CPU on PostgreSQL): there in one
    round trip where BEGIN, the INSERT and COMMIT took three (the connection is in
    autocommit), on SQLite in one hand-off to the connection's thread (its `write_alone`,
    `node.sqlite_trips`). None if it added none (all were duplicates, the generation moved,
    or SQLite refused it): the batch then goes the long way (`_store`)."""
    generations = {arrival.generation for arrival in arrivals}
    if len(generations) != 1 or (generation := generations.pop()) is None:
        return None
    rows = [{**arrival.row, "id": new_id()} for arrival in arrivals]
    parameters = {**_parameters(rows), "generation": generation}
    returned: Sequence[Any] | None
    if connection.dialect.name == "sqlite":
        returned = await _written_alone(connection, parameters)
    else:
        statement = _insert("postgresql", unmoved=True)
        returned = (await connection.execute(statement, parameters)).all()
    if not returned:
        return None
    verdicts.settle(returned[0][1] or 0, bool(returned[0][2]))
    added = {row[0] for row in returned}
    return [Stored.NEW if row["id"] in added else Stored.DUPLICATE for row in rows]


async def _written_alone(
    connection: AsyncConnection, parameters: dict[str, Any]
) -> list[Any] | None:
    """SQLite: `_insert("sqlite", unmoved=True)` run with `parameters` by the connection's
    `write_alone` (`node.sqlite_trips`), compiled once, its values converted as SQLAlchemy
    converts them (the datetimes)."""
    if (compiled := _SQLITE_ALONE.get("sqlite")) is None:
        dialect = connection.dialect
        statement: Any = _insert("sqlite", unmoved=True).compile(dialect=dialect)
        names = statement.positiontup or []
        converters = {
            name: convert
            for name in names
            if (convert := statement.binds[name].type.bind_processor(dialect))
        }
        compiled = _SQLITE_ALONE["sqlite"] = (statement, names, converters)
    statement, names, converters = compiled
    values: dict[str, Any] = statement.construct_params(parameters)
    for name, convert in converters.items():
        values[name] = convert(values[name])
    adapted: Any = connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    returned: list[Any] | None = await adapted.write_alone(
        statement.string, [values[name] for name in names]
    )
    return returned


async def _proven(
    fed: Federation, session: OnDemand, activity: dict[str, Any], *, forwarded: bool
) -> RemoteKey | None:
    """The activity's actor when its FEP-8b32 proof holds (it then stands for itself, even
    forwarded by another server, if its proof is fresh); None without a proof to check. A
    proof that fails is refused (SignatureError), whatever the HTTP signature says."""
    if "proof" not in activity:  # nothing to check, so no session to open for it
        return None
    try:
        age = proofs.RELAYED_PROOF_AGE if forwarded else None
        author = await proofs.proven_author(fed, session(), activity, max_age=age)
    except SignatureError as error:
        raise SignatureError(f"the integrity proof is refused: {error}") from None
    if author is None or author.domain is None:
        return None
    return RemoteKey(author.id, author.uri, author.domain, author.public_key_pem)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        activity = read_document(body, MAX_DEPTH)
    except InvalidDocument as error:
        raise ValueError(str(error)) from None
    if not isinstance(activity, dict):
        raise ValueError("an activity must be a JSON object")
    for field in ("id", "type", "actor"):
        if not (activity.get(field) if field != "actor" else id_of(activity.get("actor"))):
            raise ValueError(f"an activity needs {field!r}")
    if not isinstance(activity["id"], str) or not isinstance(activity["type"], str):
        raise ValueError("'id' and 'type' must be strings")
    if max(len(activity["id"]), len(str(id_of(activity["actor"])))) > MAX_ID_LENGTH:
        raise ValueError(f"an id has at most {MAX_ID_LENGTH} characters")
    return activity


async def _make_due_now(session: AsyncSession, domain: str) -> None:
    """A host that was failing is back: deliver what waits for it without further delay."""
    await session.execute(
        update(Delivery)
        .where(Delivery.host == domain, Delivery.state == "retry")
        .values(next_attempt_at=utcnow())
    )


async def wake_waiting(session: AsyncSession, actor_id: int) -> None:
    """An actor's follow was accepted: what it sent before, held back until then
    (`handlers.incoming.NotYet`), is applied without further delay."""
    await session.execute(
        update(InboxItem)
        .where(InboxItem.actor_id == actor_id, InboxItem.state == "retry")
        .values(next_attempt_at=utcnow())
    )
