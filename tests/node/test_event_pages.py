"""Event pages: staff publish, edit and cancel events (errors shown by field, each change
sent to the organisation's followers as an ActivityStreams Event); anyone reads one, its
times in the reader's time zone beside the event's own."""

from __future__ import annotations

import httpx
import pytest

from node.settings import ConfigError, Settings
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_directory_pages import sent, setup, sign_in
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
EVENT = {
    "title": "Know your rights workshop",
    "description": "Bring questions. https://example.org/rights",
    "language": "en",
    "starts": "2030-03-14T18:00",
    "ends": "2030-03-14T20:00",
    "time_zone": "Europe/Bucharest",
    "place_name": "Community centre",
    "place_address": "Strada Florilor 3, Cluj",
    "audience": "Sex workers and their partners",
    "registration": "Send a Signal message to +40 700 000 000, or just come.",
}


async def test_staff_publish_edit_and_cancel_and_followers_are_told(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    assert (await client.get("/events/new")).status_code == 200
    made = await client.post("/events/new", data=EVENT)
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    [create] = await sent(services, remote)
    assert create["type"] == "Create" and create["actor"] == f"{BASE}/users/organisation"
    event = create["object"]
    assert event["type"] == "Event" and event["id"] == f"{BASE}{path}"
    assert event["name"] == "Know your rights workshop"
    assert event["startTime"] == "2030-03-14T18:00:00+02:00"
    assert event["endTime"] == "2030-03-14T20:00:00+02:00"
    assert event["timezone"] == "Europe/Bucharest"
    assert event["location"]["name"] == "Community centre"
    assert event["location"]["address"]["streetAddress"] == "Strada Florilor 3, Cluj"
    assert '<a href="https://example.org/rights"' in event["content"]
    page = (await client.get(path)).text
    # The node's zone is UTC: the reader sees 16:00 UTC, and the hours where it is held.
    assert "Thursday 14 March 2030, 16:00" in page and "Thursday 14 March 2030, 18:00" in page
    assert "Sex workers and their partners" in page and "Signal message" in page
    online = {
        **EVENT,
        "place_name": "",
        "place_address": "",
        "online_url": "https://meet.example/r",
    }
    assert (await client.post(f"{path}/edit", data=online)).status_code == 303
    [update] = await sent(services, remote)
    assert update["type"] == "Update" and update["object"]["url"] == "https://meet.example/r"
    assert update["object"]["location"] is None
    assert (await client.post(f"{path}/delete")).status_code == 303
    [delete] = await sent(services, remote)
    assert delete["type"] == "Delete" and delete["object"]["id"] == event["id"]
    assert (await client.get(path)).status_code == 404


async def test_errors_are_shown_next_to_their_fields(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    bad = {**EVENT, "ends": "2030-03-14T17:00", "time_zone": "Mars/Olympus", "place_name": ""}
    bad["place_address"] = ""
    answer = await client.post("/events/new", data=bad)
    assert answer.status_code == 400
    page = answer.text
    assert '<p class="error" id="ends-error">It must end after it starts.' in page
    assert 'id="time_zone-error"' in page and 'id="place_name-error"' in page
    assert 'value="Know your rights workshop"' in page
    assert await sent(services, remote) == []


async def test_only_staff_publish(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "alice")
    refused = await client.get("/events/new")
    assert refused.status_code == 403 and "Only staff publish events." in refused.text


async def test_a_visitor_chooses_her_time_zone_and_the_calendar_shows_it(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    assert (await client.post("/events/new", data=EVENT)).status_code == 303
    await client.post("/logout")
    page = (await client.get("/events")).text
    assert "Know your rights workshop" in page and "Thursday 14 March 2030, 16:00" in page
    assert "Times are shown in the time zone of UTC." in page  # the node's
    chosen = await client.post("/time-zone", data={"time_zone": "Europe/Lisbon", "next": "/events"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/events"
    page = (await client.get("/events")).text
    assert "Times are shown in the time zone of Lisbon." in page
    # Lisbon is UTC+0 in March: 16:00; an unknown zone changes nothing.
    assert "Thursday 14 March 2030, 16:00" in page
    await client.post("/time-zone", data={"time_zone": "../../etc/passwd", "next": "/events"})
    assert "time zone of Lisbon" in (await client.get("/events")).text
    await client.post("/logout")  # the next person on this phone starts afresh
    assert "time zone of UTC" in (await client.get("/events")).text


def test_the_nodes_time_zone_must_be_an_iana_name() -> None:
    base = {"HARBOUR_DOMAIN": "harbour.test"}
    assert Settings.load({**base, "HARBOUR_TIME_ZONE": "Europe/Sofia"}).time_zone == "Europe/Sofia"
    with pytest.raises(ConfigError, match="HARBOUR_TIME_ZONE"):
        Settings.load({**base, "HARBOUR_TIME_ZONE": "Sofia"})
