"""The inbox keeps its federation verdicts in memory, yet a block holds at once: the very next
POST from a server blocked in this process is refused, and within a second one blocked by
another process. Requests arriving together share one commit, each answered as its own."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import create_engine, func, insert, select

from content.orm import new_id, utcnow
from federation.inbox import InboxItem
from moderation import allowlist, domain_blocks, lockdown
from moderation.domain_blocks import BlockTerms, DomainBlock, Severity
from moderation.policy import FederationMode
from node.database import driver_url
from node.settings import Settings
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
REFUSED = {"error": "this node does not federate with your server"}


async def test_a_block_made_here_refuses_the_very_next_post(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    async with services.sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms("remote.example", Severity.SUSPEND))
    refused = await deliver(client, note_to_alice(2))
    assert (refused.status_code, refused.json()) == (403, REFUSED)
    async with services.sessions() as session, session.begin():
        await domain_blocks.unblock(session, "remote.example")
    assert (await deliver(client, note_to_alice(3))).status_code == 202


async def test_leaving_the_allowlist_or_a_lockdown_refuses_the_very_next_post(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")
    assert (await deliver(client, note_to_alice(2))).status_code == 403
    async with services.sessions() as session, session.begin():
        await allowlist.allow(session, "remote.example")
    services.federation.mode = FederationMode.OPEN
    assert (await deliver(client, note_to_alice(3))).status_code == 202
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")
        await lockdown.turn(session, True, None)
    services.federation.lockdown = True  # as `lockdown.follow` sets it
    assert (await deliver(client, note_to_alice(4))).status_code == 403


async def test_a_block_another_process_makes_holds_here_within_a_second(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, settings: Settings
) -> None:
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    other_process = create_engine(driver_url(settings.database_url, asynchronous=False))
    with other_process.begin() as connection:  # not through this process's sessions
        connection.execute(
            insert(DomainBlock.__table__).values(
                id=new_id(), domain="remote.example", severity="suspend", reject_media=False,
                reject_reports=False, public_comment="", private_comment="", obfuscate=False,
                created_at=utcnow(),
            )
        )  # fmt: skip
    blocked_at = time.monotonic()
    other_process.dispose()
    while (await deliver(client, note_to_alice(2))).status_code == 202:
        assert time.monotonic() - blocked_at < 2.5  # a second, and the requests' own time
        await asyncio.sleep(0.1)


async def test_posts_arriving_together_are_each_stored_once_and_answered(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await deliver(client, note_to_alice(0))  # eve's key fetched first, as one request does
    numbers = [*range(1, 21), 5, 7, 7]
    answers = await asyncio.gather(*(deliver(client, note_to_alice(n)) for n in numbers))
    assert [answer.status_code for answer in answers] == [202] * len(numbers)
    async with services.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(InboxItem))
    assert stored == 21
