"""An admin applies a long trust list on /admin/trust while servers keep delivering: the
list goes in by batches, each in a transaction of its own, and the inbox answers meanwhile
(one transaction held SQLite's one writer for every change of the list, seconds for a few
hundred suspensions, and every inbox POST waited, then failed)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from content.users import Role
from moderation import trust_lists
from moderation.domain_blocks import BlockTerms, DomainBlock, Severity
from moderation.published_lists import Published
from node.state import Services
from tests.node.test_admin_pages import person
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_settings_pages import sign_in
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
LISTED = [f"h{number}.hostile.example" for number in range(100)]


async def blocked(services: Services) -> int:
    async with services.sessions() as session:
        query = select(func.count()).select_from(DomainBlock)
        return int(await session.scalar(query.where(DomainBlock.domain.in_(LISTED))) or 0)


async def test_a_long_list_applied_on_the_page_lets_the_inbox_answer_meanwhile(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await person(services, "ada", Role.ADMIN)
    async with services.sessions() as session, session.begin():
        row = await trust_lists.subscribe(
            session, "https://partner.example/blocks.csv", trust_lists.Kind.BLOCKLIST
        )
        entries = tuple(BlockTerms(name, Severity.SUSPEND) for name in LISTED)
        trust_lists.record_fetch(row, Published(entries), None)
        list_id = row.id
    await deliver(client, note_to_alice(0))  # eve's key known: the POST below only writes
    await sign_in(client, "ada")
    applying = asyncio.create_task(
        client.post(f"/admin/trust/{list_id}/apply", data={"domain": LISTED})
    )
    while not (first_seen := await blocked(services)) and not applying.done():
        await asyncio.sleep(0.005)
    assert 0 < first_seen < len(LISTED)  # the first batch, committed alone
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    assert await blocked(services) < len(LISTED)  # answered while the list still went in
    answer = await applying
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/trust"
    assert await blocked(services) == len(LISTED)
