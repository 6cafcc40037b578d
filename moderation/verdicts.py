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

from sqlalchemy import select
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


async def generation(session: AsyncSession) -> int:
    """The policy's generation as the session sees it now."""
    return await session.scalar(GENERATION) or 0


async def state(session: AsyncSession) -> tuple[int, bool]:
    """The policy's generation and whether the node is in lockdown, in one read."""
    n, lockdown = (await session.execute(STATE)).one()
    return n or 0, bool(lockdown)


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

    async def now(self, session: AsyncSession, host: str, configured: FederationMode) -> bool:
        """`may_federate_with` as the database holds it now, for the worker just before it
        applies an item: the generation is read every time (one small read, where the policy
        took one or two), the remembered verdict used only while it has not moved."""
        current = await state(session)
        known = self.get(host, configured)
        if known is not None and known[1] == current[0]:
            return known[0]
        return await self.decide(session, host, configured, current)
