"""Events from another organisation's node, as Mobilizon- and Gancio-shaped servers send
them: mirrored onto the calendar when someone here follows the organisation (the
description sanitised), changed and cancelled only by their origin; an Event from anyone
else is shown as a status; a remote member's Join and Leave reach the organiser's staff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from activitypub import ActorType
from content.orm import utcnow
from federation.worker import Worker
from moderation import allowlist, domain_blocks, quarantine
from moderation.domain_blocks import BlockTerms, Severity
from node.state import Services
from tests.node.conftest import EVE
from tests.node.test_directory_pages import setup, sign_in
from tests.node.test_event_pages import EVENT
from tests.node.test_inbox import deliver
from tests.node.test_listing_inbox import activity, follow_eve
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio
REMOTE_EVENT = "https://remote.example/events/7"


def event(**changes: Any) -> dict[str, Any]:
    """As Gancio writes one: no time zone (UTC times), the address a string."""
    document: dict[str, Any] = {
        "id": REMOTE_EVENT,
        "type": "Event",
        "attributedTo": EVE,
        "name": "Outreach <b>night</b>",
        "content": '<p>Tea &amp; tests</p><script>alert(1)</script><img src="https://x/y.png">',
        "startTime": "2031-05-02T17:00:00Z",
        "endTime": "2031-05-02T21:00:00Z",
        "location": {"type": "Place", "name": "Harbour café", "address": "Pier 4, Lisbon"},
        "url": "https://remote.example/event/outreach-night",
    }
    document.update(changes)
    return document


async def calendar(client: httpx.AsyncClient) -> str:
    return (await client.get("/events")).text


async def test_a_followed_organisations_event_is_mirrored_sanitised_and_follows_its_origin(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(EVE, keypair_for_tests(3), "eve", ActorType.ORGANIZATION)
    await follow_eve(services)
    assert (await deliver(client, activity("Create", event(), 1))).status_code == 202
    await Worker(services.federation).run_once()
    page = await calendar(client)
    assert "Outreach night" in page and "Harbour café" in page and "remote.example" in page
    path = page.split('href="/events/', 1)[1].split('"', 1)[0]
    shown = (await client.get(f"/events/{path}")).text
    assert "<p>Tea &amp; tests</p>" in shown and "<script>" not in shown and "<img" not in shown
    assert "Pier 4, Lisbon" in shown
    assert "Friday 2 May 2031, 17:00" in shown  # the node's zone, UTC
    assert "meet.example" not in shown and "outreach-night" not in shown  # its page, same host
    moved = event(name="Outreach evening", url="https://meet.example/room")
    assert (await deliver(client, activity("Update", moved, 2))).status_code == 202
    await Worker(services.federation).run_once()
    shown = (await client.get(f"/events/{path}")).text
    assert "Outreach evening" in shown and 'href="https://meet.example/room"' in shown
    tombstone = {"id": REMOTE_EVENT, "type": "Tombstone"}
    assert (await deliver(client, activity("Delete", tombstone, 3))).status_code == 202
    await Worker(services.federation).run_once()
    assert "Outreach evening" not in await calendar(client)


async def test_an_event_from_an_organisation_nobody_follows_is_not_mirrored(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(EVE, keypair_for_tests(3), "eve", ActorType.ORGANIZATION)
    assert (await deliver(client, activity("Create", event(), 1))).status_code == 202
    await Worker(services.federation).run_once()
    assert "Outreach" not in await calendar(client)


async def test_a_remote_members_join_and_leave_reach_only_the_organisers_staff(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    path = (await client.post("/events/new", data=EVENT)).headers["location"]
    uri = f"https://harbour.test{path}"
    assert (await deliver(client, activity("Join", uri, 10))).status_code == 202
    await Worker(services.federation).run_once()
    assert "@eve@remote.example" in (await client.get(path)).text
    await sign_in(client, "alice")
    assert "@eve" not in (await client.get(path)).text
    assert (await deliver(client, activity("Leave", uri, 11))).status_code == 202
    await Worker(services.federation).run_once()
    await sign_in(client, "sam")
    page = (await client.get(path)).text
    assert "@eve" not in page and "Nobody has said they are going yet." in page


async def test_an_event_at_the_calendars_edge_is_refused_not_failed(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(EVE, keypair_for_tests(3), "eve", ActorType.ORGANIZATION)
    await follow_eve(services)
    edge = event(startTime="0001-01-01T00:00:00+14:00", endTime="9999-12-31T23:59:59-14:00",
                 timezone="Pacific/Kiritimati")  # fmt: skip
    create = activity("Create", edge, 1)
    assert (await deliver(client, create)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        state, outcome = await inbox_outcome(session, create["id"])
    assert "invalid event" in str(outcome), (state, outcome)
    assert "Outreach" not in await calendar(client)


async def test_a_held_or_silenced_servers_events_stay_off_the_calendar(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """As their posts stay out of public timelines, on the page and in /events.ics."""
    remote.add_actor(EVE, keypair_for_tests(3), "eve", ActorType.ORGANIZATION)
    await follow_eve(services)
    assert (await deliver(client, activity("Create", event(), 1))).status_code == 202
    await Worker(services.federation).run_once()
    assert "Outreach night" in await calendar(client)
    async with services.sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms("remote.example", Severity.SILENCE))
    assert "Outreach night" not in await calendar(client)
    assert "Outreach night" not in (await client.get("/events.ics")).text
    async with services.sessions() as session, session.begin():
        await domain_blocks.unblock(session, "remote.example")
        await allowlist.disallow(session, "remote.example")
        await quarantine.meet(session, "remote.example", days=7)
        await session.execute(
            update(quarantine.KnownServer).values(quarantined_until=utcnow() + timedelta(days=7))
        )
    assert "Outreach night" not in await calendar(client)
