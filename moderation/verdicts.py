"""The federation policy's verdicts kept in memory, and the generation that says when they
went stale.

Every insert, update or delete of a domain block or an allowlist entry moves
`policy_generation.n` on, by trigger (migration 0061) and so in the transaction that makes
the change, whichever process makes it (a web page, the CLI, a CSV import). The inbox answers
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

MAX_VERDICTS = 10_000


class PolicyGeneration(Base):
    """One row (id 1), written by triggers only: how many times blocks and the allowlist
    changed. No row yet: generation 0."""

    __tablename__ = "policy_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int]


GENERATION = select(PolicyGeneration.n).where(PolicyGeneration.id == 1)


async def generation(session: AsyncSession) -> int:
    """The policy's generation as the session sees it now."""
    return await session.scalar(GENERATION) or 0


class Verdicts:
    """Whether the node federates with a host, by host and mode, as of one generation."""

    def __init__(self, size: int = MAX_VERDICTS) -> None:
        self.size = size
        self.generation = -1  # none known yet
        self._known: dict[tuple[str, FederationMode], bool] = {}

    def get(self, host: str, mode: FederationMode) -> tuple[bool, int] | None:
        """The remembered verdict and its generation, or None."""
        verdict = self._known.get((host, mode))
        return None if verdict is None else (verdict, self.generation)

    def settle(self, generation: int) -> None:
        """The generation the database holds now: what was remembered under another goes."""
        if generation != self.generation:
            self._known.clear()
            self.generation = generation

    def put(self, generation: int, host: str, mode: FederationMode, verdict: bool) -> None:
        """Remember a verdict read at `generation` (read before the verdict, so a change
        committed in between makes it stale, never wrongly fresh)."""
        if generation > self.generation:
            self.settle(generation)
        if generation != self.generation:
            return
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[(host, mode)] = verdict

    async def ask(
        self, session: AsyncSession, host: str, mode: FederationMode, *, fresh: bool = False
    ) -> tuple[bool, int]:
        """`may_federate_with` and the generation it holds for. A remembered yes is taken as
        it is (the item's commit checks its generation), unless `fresh` (before anything is
        fetched from the host, the database is asked); a remembered no only while the
        generation has not moved, so a lifted block holds at once too."""
        known = None if fresh else self.get(host, mode)
        if known is not None and known[0]:
            return known
        now = await generation(session)
        if known is not None and known[1] == now:
            return known
        verdict = await may_federate_with(session, host, mode)
        self.put(now, host, mode, verdict)
        return verdict, now

    async def now(self, session: AsyncSession, host: str, mode: FederationMode) -> bool:
        """`may_federate_with` as the database holds it now, for the worker just before it
        applies an item: the generation is read every time (one small read, where the policy
        took one or two), the remembered verdict used only while it has not moved."""
        current = await generation(session)
        known = self.get(host, mode)
        if known is not None and known[1] == current:
            return known[0]
        verdict = await may_federate_with(session, host, mode)
        self.put(current, host, mode, verdict)
        return verdict
