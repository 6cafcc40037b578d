"""What waits for a person's role, at the top of her notifications page: readers'
corrections for the organisation's staff, open reports for moderators, newcomers for
admins; a member sees none of it, and a kind with nothing waiting is not listed."""

from __future__ import annotations

import httpx
import pytest

from content.users import Role
from moderation import reports
from node.state import Services
from tests.node.test_corrections import offer, publish, staffed  # noqa: F401 (a fixture)
from tests.node.test_directory_pages import sign_in
from tests.node.test_listing_inbox import send
from tests.rig import world

pytestmark = pytest.mark.anyio
CORRECTION_WAITS = "1 suggestion from readers waits for your organisation"


async def waiting(client: httpx.AsyncClient) -> str:
    """The "Waiting for you" part of the notifications page, as words ('' if none)."""
    page = (await client.get("/notifications")).text
    if "waiting-heading" not in page:
        return ""
    return world.words(page.split('id="waiting-heading"')[1].split("</section>")[0])


@pytest.mark.usefixtures("staffed")
async def test_staff_see_readers_corrections_waiting_until_they_decide(
    client: httpx.AsyncClient, services: Services
) -> None:
    path = await publish(client)  # sam, on the staff, signed in
    assert await waiting(client) == ""
    await send(client, services, offer(1, f"{world.BASE_URL}{path}"))
    assert CORRECTION_WAITS in await waiting(client)
    assert 'href="/staff/corrections"' in (await client.get("/notifications")).text

    queue = (await client.get("/staff/corrections")).text
    number = queue.split('action="/staff/corrections/')[1].split("/")[0]
    await client.post(f"/staff/corrections/{number}/reject", data={"reason": "Checked: wrong."})
    assert CORRECTION_WAITS not in await waiting(client)

    await client.post("/logout")
    await sign_in(client, "alice")  # a member: nothing waits for her
    assert await waiting(client) == ""


async def test_moderators_see_open_reports_and_admins_newcomers_too(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        mona = await world.local_member(session, "mona", role=Role.MODERATOR)
        await world.local_member(session, "ada", role=Role.ADMIN)
        newcomer = await world.local_member(session, "nova")
        newcomer.awaiting_approval = True
        await reports.file_report(
            session, reporter=mona, target=newcomer, post_uris=[], comment="spam", category="spam"
        )
    await sign_in(client, "mona")
    shown = await waiting(client)
    assert "1 report waits for a moderator" in shown and "newcomer" not in shown
    await client.post("/logout")
    await sign_in(client, "ada")
    shown = await waiting(client)
    assert "1 report waits for a moderator" in shown
    assert "1 newcomer waits for approval" in shown
    assert "suggestion" not in shown  # nothing waits in the organisation's queue
