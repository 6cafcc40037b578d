"""Attack: one country page save of hostile Markdown freezes the node.

Staff write country pages in Markdown; markdown-it is pure Python, and some shapes cost
hundreds of milliseconds per 20,000-character section (unclosed brackets, mixed emphasis
markers). Rendered on the event loop, one save of five such sections froze every other
request for a second. Rendering large Markdown in a worker thread bounds that pause (the
thread holds the GIL in turns, so on a busy machine a pause of a few tens of ms remains).
"""

from __future__ import annotations

import asyncio
import time
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from content import countries
from content.country_fields import CountryPageFields, validate
from content.sanitize import render_markdown
from tests.rig import world

pytestmark = pytest.mark.anyio
HOSTILE = {"legal": "[" * 20_000, "migration": "*_`[" * 5_000, "health": "[" * 20_000,
           "work": "*a" * 10_000, "contacts": "[" * 20_000}  # fmt: skip


async def test_hostile_markdown_in_a_country_page_does_not_freeze_the_node(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    hostile = CountryPageFields(
        country="DE", title="Germany", last_reviewed=date.today(), **HOSTILE
    )
    validate(hostile, today=date.today())
    started = time.perf_counter()
    for section in HOSTILE.values():
        render_markdown(section)
    on_the_loop = time.perf_counter() - started  # the pause when it was rendered inline
    gaps: list[float] = []

    async def other_requests() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async with sessions() as session, session.begin():
        org = await world.local_actor(session, "hydra", ActorType.ORGANIZATION)
        sam = await world.local_member(session, "sam")
        uri = countries.local_uri(world.BASE_URL, "DE", "hydra")
        ticker = asyncio.create_task(other_requests())
        await asyncio.sleep(0.02)
        saving = time.perf_counter()
        page = await countries.save_revision(session, org, sam, hostile, uri)
        saved_in = time.perf_counter() - saving
        ticker.cancel()
    assert page.revision == 1
    assert on_the_loop > 0.1, "the hostile sections should cost time to render"
    # Inline, the loop stood still for the whole save: one gap as long as the save and no
    # tick inside it. In a thread the loop keeps ticking while it waits its turns for the
    # GIL. Both are measured in the same window, so a loaded machine that slows the save
    # slows its pauses alike; one long pause (a full garbage collection in a big test
    # process, the machine's scheduler) must still leave most of the save to the loop.
    stalled = max(gaps)
    assert len(gaps) >= 10, f"the event loop ticked {len(gaps)} times in {saved_in:.1f} s"
    assert stalled < saved_in * 0.75, f"the event loop stalled {stalled * 1000:.0f} ms"
