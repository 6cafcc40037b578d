"""The federation policy's verdicts kept in memory, and the generation that says when they
went stale.

Every insert, update or delete of a domain block, an allowlist entry (migration 0061) or a
node switch such as lockdown (0062) moves `policy_generation.n` on, by trigger and so in the
transaction that makes the change, whichever process makes it (a web page, the CLI, a CSV
import). The inbox answers
from verdicts remembered under a generation; the transaction that stores an item reads the
generation after its INSERT (on SQLite that transaction holds the write lock by then), and
asks the policy again, in that transaction, for each item whose verdict is of another
generation, taking out one now refused before the commit. So no item is accepted (202) from
a server blocked before its row was written, in any process, and the hot path reads nothing
for the policy: one small read per shared commit instead of two reads per request.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.orm import Base
from moderation.policy import FederationMode, may_federate_with
from moderation.switches import NodeSwitch, Switch

MAX_VERDICTS = 10_000


class PolicyGeneration(Base):
    """One row (id 1), written by triggers only: how many times blocks, the allowlist and
    the node's switches (lockdown) changed. No row yet: generation 0."""

    __tablename__ = "policy_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int]


GENERATION = select(PolicyGeneration.n).where(PolicyGeneration.id == 1)
# Lockdown narrows every mode to the allowlist; turning it moves the generation on too
# (migration 0062), so the verdicts of one generation are of one lockdown state.
LOCKDOWN = select(NodeSwitch.on).where(NodeSwitch.name == str(Switch.LOCKDOWN))
STATE = select(GENERATION.scalar_subquery(), LOCKDOWN.scalar_subquery())
# The generation FOR SHARE (PostgreSQL), beside the same row as the statement's snapshot saw it
# and lockdown: the two differ when a change committed while the lock was awaited.
HELD = select(
    GENERATION.with_for_update(read=True).scalar_subquery(),
    GENERATION.scalar_subquery(),
    LOCKDOWN.scalar_subquery(),
)
# The row of generation 0, for a transaction that must hold it before any change made one (a
# first suspension's trigger would make it, and a batch holding no row would not wait for it).
FIRST = text("INSERT INTO policy_generation (id, n) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
# What the triggers of migrations 0061, 0062 and 0067 run, for a change that must move the
# generation on before it writes (`move_on`).
BUMP = text(
    "INSERT INTO policy_generation (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = policy_generation.n + 1"
)


async def generation(session: AsyncSession) -> int:
    """The policy's generation as the session sees it now."""
    return await session.scalar(GENERATION) or 0


async def state(session: AsyncSession) -> tuple[int, bool]:
    """The policy's generation and whether the node is in lockdown, in one read."""
    n, lockdown = (await session.execute(STATE)).one()
    return n or 0, bool(lockdown)


async def held(session: AsyncSession) -> tuple[int, bool]:
    """`state`, with the generation's row held FOR SHARE until the transaction ends (on
    PostgreSQL): a transaction that takes it before it writes anything keeps the order every
    policy change takes (the generation's row first, then what a purge deletes), so the two
    wait for each other and never deadlock; read again if a change committed while the lock
    was awaited (the snapshot's lockdown is then of the generation before)."""
    locked, seen, lockdown = (await session.execute(HELD)).one()
    if locked is None:  # no change yet, so no row to hold: made here, once per database
        await session.execute(FIRST)
        locked, seen, lockdown = (await session.execute(HELD)).one()
    if (locked or 0) != (seen or 0):
        return await state(session)
    return locked or 0, bool(lockdown)


async def move_on(session: AsyncSession) -> None:
    """Move the generation on now, first in the transaction of a change that takes other
    rows after it (an account suspended, limited or blocked: its row, its follows): the
    trigger on those rows would take the generation's row last, in the opposite order to an
    inbox batch, and the two could deadlock on PostgreSQL."""
    await session.execute(BUMP)


def in_force(configured: FederationMode, lockdown: bool) -> FederationMode:
    """The mode the policy applies: the allowlist alone during a lockdown."""
    return FederationMode.ALLOWLIST if lockdown else configured


class Verdicts:
    """Whether the node federates with a host, by host and mode in force, as of one
    generation (and the lockdown state of that generation). Callers give the mode as
    configured: lockdown is read from the database with the generation, never from a
    process's memory of it, which follows the switch only within a second."""

    def __init__(self, size: int = MAX_VERDICTS) -> None:
        self.size = size
        self.generation = -1  # none known yet
        self.lockdown = False
        self._known: dict[tuple[str, FederationMode], bool] = {}
        # Refusals of hosts no signature has vouched for yet, in a room of their own: a flood
        # naming made-up hosts empties only this, never the verdicts on servers heard from.
        self._refused: set[tuple[str, FederationMode]] = set()

    def get(self, host: str, configured: FederationMode) -> tuple[bool, int] | None:
        """The remembered verdict and its generation, or None."""
        if self.generation < 0:
            return None
        key = (host, in_force(configured, self.lockdown))
        verdict = self._known.get(key)
        if verdict is None and key in self._refused:
            verdict = False
        return None if verdict is None else (verdict, self.generation)

    def settle(self, generation: int, lockdown: bool) -> None:
        """The generation the database holds now, and its lockdown state: what was
        remembered under another goes."""
        if generation != self.generation:
            self._known.clear()
            self._refused.clear()
            self.generation, self.lockdown = generation, lockdown

    def put(
        self,
        generation: int,
        lockdown: bool,
        host: str,
        configured: FederationMode,
        verdict: bool,
        *,
        vouched: bool = True,
    ) -> None:
        """Remember a verdict read at `generation` (read before the verdict, so a change
        committed in between makes it stale, never wrongly fresh). Unless `vouched` (a
        request from the host whose signature and origin held, or an item stored from
        one), a yes is not remembered and a no only among the other strangers' refusals."""
        if generation > self.generation:
            self.settle(generation, lockdown)
        if generation != self.generation:
            return
        key = (host, in_force(configured, lockdown))
        if vouched:
            if len(self._known) >= self.size:
                self._known.clear()
            self._known[key] = verdict
        elif not verdict:
            if len(self._refused) >= self.size:
                self._refused.clear()
            self._refused.add(key)

    def vouch(self, host: str, configured: FederationMode, generation: int) -> None:
        """Remember the yes `ask(..., vouched=False)` gave at `generation`, now that a
        request from `host` has shown its signature and origin."""
        if generation == self.generation:
            self.put(generation, self.lockdown, host, configured, True)

    async def decide(
        self,
        session: AsyncSession,
        host: str,
        configured: FederationMode,
        now: tuple[int, bool],
        *,
        vouched: bool = True,
    ) -> bool:
        """`may_federate_with` read from the database, under the generation and lockdown
        state `now` (read before it), and remembered (see `put` for `vouched`)."""
        verdict = await may_federate_with(session, host, in_force(configured, now[1]))
        self.put(now[0], now[1], host, configured, verdict, vouched=vouched)
        return verdict

    async def ask(
        self,
        session: AsyncSession,
        host: str,
        configured: FederationMode,
        *,
        fresh: bool = False,
        vouched: bool = True,
    ) -> tuple[bool, int]:
        """`may_federate_with` and the generation it holds for. A remembered yes is taken as
        it is (the item's commit checks its generation), unless `fresh` (before anything is
        fetched from the host, the database is asked); a remembered no only while the
        generation has not moved, so a lifted block holds at once too. Before a request's
        signature is checked, `vouched=False`: a yes read from the database is remembered
        only once `vouch` is called."""
        known = None if fresh else self.get(host, configured)
        if known is not None and known[0]:
            return known
        now = await state(session)
        if known is not None and known[1] == now[0]:
            return known
        return await self.decide(session, host, configured, now, vouched=vouched), now[0]

    async def now(
        self, session: AsyncSession, host: str, configured: FederationMode, *, hold: bool = False
    ) -> tuple[bool, int]:
        """`may_federate_with` as the database holds it now, for the worker just before it
        applies an item, and the generation it holds for (the worker's commit checks it has
        not moved): the generation is read every time (one small read, where the policy
        took one or two), the remembered verdict used only while it has not moved. With
        `hold`, the generation's row is held FOR SHARE until the transaction ends (`held`)."""
        current = await (held if hold else state)(session)
        known = self.get(host, configured)
        if known is not None and known[1] == current[0]:
            return known[0], current[0]
        return await self.decide(session, host, configured, current), current[0]


def unmoved(generation: int, *, wait: bool = True) -> ColumnElement[bool]:
    """A condition that the policy's generation is still `generation`, for the statement
    that closes what was applied under it. On PostgreSQL it waits for a block being made
    (FOR SHARE of the row its trigger updates), so that block's purge comes after; unless
    `wait` is False: then a block being made fails the statement at once (lock_not_available,
    55P03), for a transaction that wrote before it took the lock and could deadlock."""
    current = GENERATION.with_for_update(read=True, nowait=not wait).scalar_subquery()
    return func.coalesce(current, 0) == generation
