"""However slowly one server sends suggestions, at most MAX_OPEN_PER_SITE of them wait
unread in an organisation's queue, so it cannot bury everyone else's; once staff decide
one, the server may send another."""

from __future__ import annotations

import httpx
import pytest

from federation.handlers.corrections import MAX_OPEN_PER_SITE
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_corrections import offer, publish, staffed  # noqa: F401 (a fixture)
from tests.node.test_listing_inbox import send
from tests.rig.strict import inbox_outcome

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("staffed")]


async def test_one_servers_suggestions_never_bury_the_queue(
    client: httpx.AsyncClient, services: Services
) -> None:
    path = await publish(client)  # sam, on the staff, signed in
    for number in range(1, MAX_OPEN_PER_SITE + 2):
        await send(client, services, offer(number, f"{BASE}{path}"))
    queue = (await client.get("/staff/corrections")).text
    assert queue.count("Now from 20:00") == MAX_OPEN_PER_SITE
    over = f"https://remote.example/corrections/{MAX_OPEN_PER_SITE + 1}"
    async with services.sessions() as session:
        _, outcome = await inbox_outcome(session, over)
    assert "too many of its server's corrections wait for staff already" in str(outcome)

    number = queue.split('action="/staff/corrections/')[1].split("/")[0]
    decided = await client.post(f"/staff/corrections/{number}/reject", data={"reason": "No."})
    assert decided.status_code == 303
    await send(client, services, offer(MAX_OPEN_PER_SITE + 2, f"{BASE}{path}"))
    queue = (await client.get("/staff/corrections")).text
    assert queue.count("Now from 20:00") == MAX_OPEN_PER_SITE
