"""A poll on the web, without script: a member votes with a form, then reads the results
with her choice marked; a second vote is refused with a reason in her language."""

from __future__ import annotations

import httpx
import pytest

from content import polls
from node.state import Services
from tests.node.conftest import BASE
from tests.rig import world

pytestmark = pytest.mark.anyio
HTML = {"Accept": "text/html"}


async def test_a_member_votes_on_a_poll_from_its_page_and_reads_the_results(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "ana", base_url=BASE)
        await world.local_member(session, "bea", base_url=BASE)
        asked = await world.post(session, alice, "Which evening suits the drop-in?")
        polls.create(session, asked.id, polls.spec(["Tuesday", "Thursday"], 86_400))
    page = f"/@ana/{asked.id}"
    signed = await client.post("/login", data={"username": "bea", "password": world.PASSWORD})
    assert signed.status_code == 303
    form = (await client.get(page, headers=HTML)).text
    assert f'action="/posts/{asked.id}/vote"' in form
    assert '<input type="radio" name="choice" value="1"> Thursday' in form
    voted = await client.post(f"/posts/{asked.id}/vote", data={"choice": "1"})
    assert voted.status_code == 303
    results = (await client.get(page, headers=HTML)).text
    assert "/vote" not in results
    assert "<li>Thursday (your choice): 1 vote</li>" in results
    assert "<li>Tuesday: 0 votes</li>" in results and "1 person voted" in results
    again = await client.post(f"/posts/{asked.id}/vote", data={"choice": "0"})
    shown = (await client.get(again.headers["location"], headers=HTML)).text
    assert "you have already voted on this poll" in shown
    # Read by a visitor: the results, no form.
    client.cookies.clear()
    visitor = (await client.get(page, headers=HTML)).text
    assert "<li>Thursday: 1 vote</li>" in visitor and "/vote" not in visitor
