"""A host's inbox items are claimed and applied as a batch, and one that fails costs only
itself: those before and after it are applied, it is retried."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from federation.inbox import InboxItem
from federation.worker import Worker
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice, stored_posts
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio


@pytest.mark.expect_failures(r"statuses/3/activity (failed|retry): JSONDecodeError")
async def test_an_item_that_fails_in_a_batch_fails_alone(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    worker = Worker(services.federation)
    await deliver(client, note_to_alice(0))
    await worker.run_once()  # the pass's hourly work done, eve known
    for number in range(1, 6):
        assert (await deliver(client, note_to_alice(number))).status_code == 202
    broken = str(note_to_alice(3)["id"])
    async with services.sessions() as session:  # its handler will meet a body it cannot read
        await session.execute(
            update(InboxItem).where(InboxItem.activity_id == broken).values(body="{")
        )
        await session.commit()
    assert await worker.run_once() == 5
    assert await stored_posts(services) == 5  # note 0 and notes 1, 2, 4, 5
    async with services.sessions() as session:
        state, reason = await inbox_outcome(session, broken)
        assert state == "retry" and reason is not None and "JSONDecodeError" in reason
        for number in (1, 2, 4, 5):
            assert await inbox_outcome(session, str(note_to_alice(number)["id"])) == (
                "applied",
                None,
            )
