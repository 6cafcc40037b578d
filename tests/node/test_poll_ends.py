"""A poll's end is told once: a `poll` notification to its author and voters here, shown
on their notifications page and in the client API."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from content import polls
from content.notifications import Notification
from content.orm import utcnow
from federation import poll_outbox
from node.state import Services
from tests.node.conftest import BASE
from tests.rig import world
from tests.rig.members import Member, members

pytestmark = pytest.mark.anyio


async def test_a_polls_end_is_told_once_to_its_author_and_voters(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        ada = await world.local_member(session, "ada", base_url=BASE)
        bea = await world.local_member(session, "bea", base_url=BASE)
        await world.local_member(session, "cy", base_url=BASE)
        post = await world.post(session, ada, "Which evening suits you?")
        poll = polls.create(session, post.id, polls.spec(["Monday", "Tuesday"], 300))
        await session.flush()
        await polls.vote(session, poll, ada.id, bea.id, [0])
    assert await poll_outbox.tell_ended(services.federation) == 0  # still running

    async with services.sessions() as session, session.begin():
        running = await polls.of_post(session, post.id)
        assert running is not None
        running.expires_at = utcnow() - timedelta(seconds=1)
    assert await poll_outbox.tell_ended(services.federation) == 1
    assert await poll_outbox.tell_ended(services.federation) == 0
    async with services.sessions() as session:
        told = await session.execute(
            select(Notification.account_id, Notification.type, Notification.post_id)
        )
        assert sorted(told) == sorted([(ada.id, "poll", post.id), (bea.id, "poll", post.id)])

    signed = await client.post("/login", data={"username": "bea", "password": world.PASSWORD})
    assert signed.status_code == 303
    page = await client.get("/notifications")
    assert "Their poll has ended:" in page.text and "Which evening suits you?" in page.text


async def test_votes_sent_at_the_same_moment_count_once_each(
    client: httpx.AsyncClient, services: Services
) -> None:
    """One member's many votes at once on a one-choice poll make one vote; three members
    voting at once make three."""
    ada, bea, cy, di = await members(services, "ada", "bea", "cy", "di")
    form = {"poll[options][]": ["a", "b", "c", "d"], "poll[expires_in]": "3600"}
    made = await client.post("/api/v1/statuses", data={"status": "Pick", **form},
                             headers=ada.headers)  # fmt: skip
    poll = made.json()["poll"]["id"]

    async def vote(who: Member, choice: int) -> int:
        answer = await client.post(
            f"/api/v1/polls/{poll}/votes", json={"choices": [choice]}, headers=who.headers
        )
        assert answer.status_code in (200, 422), answer.text
        return answer.status_code

    assert (
        sorted(await asyncio.gather(*(vote(bea, n % 4) for n in range(12)))) == [200] + [422] * 11
    )
    assert await asyncio.gather(vote(cy, 0), vote(di, 0)) == [200, 200]
    shown = (await client.get(f"/api/v1/polls/{poll}", headers=bea.headers)).json()
    assert (shown["votes_count"], shown["voters_count"], len(shown["own_votes"])) == (3, 3, 1)
