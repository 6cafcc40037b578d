"""Corrections in one node: offered by another server to the organisation here (filed,
sanitised, refused from quarantine or with a signature from elsewhere), answered back to that
server; sent by a member here about a listing mirrored from elsewhere (from the instance
actor), whose answer only its organisation gives; signed-out visitors only where allowed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from activitypub import ActorType
from content import accounts
from content.orm import utcnow
from content.users import Role
from federation.correction_wire import CONTEXT
from federation.delivery import Delivery
from federation.worker import Worker
from moderation import allowlist, quarantine
from moderation.audit import AuditEntry
from moderation.policy import FederationMode
from moderation.rate_limits import Action, Limit
from node.settings import Settings
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_directory_pages import sign_in
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_listing_inbox import activity, follow_eve, listing, send
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio
ORGANISATION = f"{BASE}/users/organisation"
MALLORY = "https://remote.example/users/mallory"
LISTING = {
    "name": "Rosa night clinic",
    "organisation": "Rosa Collective",
    "country": "RO",
    "categories": ["sexual-health"],
    "languages": "ro",
    "last_verified": "2026-10-01",
    "verified_by": "Rosa Collective",
}


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The node's settings, with what a test's indirect parameter changes."""
    return replace(settings, **getattr(request, "param", {}))


@pytest.fixture
async def staffed(services: Services, remote: FakeServer) -> None:
    """The organisation here, sam on its staff; eve an organisation on remote.example."""
    remote.add_actor(EVE, keypair_for_tests(3), "eve", ActorType.ORGANIZATION)
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory")
    async with services.sessions() as session, session.begin():
        await world.local_actor(session, "organisation", ActorType.ORGANIZATION, base_url=BASE)
        await world.local_member(session, "sam", base_url=BASE, role=Role.STAFF)


def offer(number: int, about: str, **note: Any) -> dict[str, Any]:
    """eve's server offers a correction to the organisation here."""
    return {
        "@context": CONTEXT,
        "id": f"https://remote.example/corrections/{number}",
        "type": "Offer",
        "actor": EVE,
        "to": [ORGANISATION],
        "target": ORGANISATION,
        "object": {
            "type": "Note",
            "context": about,
            "correctionKind": "hours",
            "content": "<p>Now from <b>20:00</b><script>alert(1)</script></p>",
            **note,
        },
    }


async def queued(services: Services, kind: str) -> list[dict[str, Any]]:
    """The bodies of the deliveries of activities of `kind` waiting to be sent."""
    async with services.sessions() as session:
        bodies = [row.body for row in await session.scalars(select(Delivery))]
    return [found for found in map(json.loads, bodies) if found["type"] == kind]


async def publish(client: httpx.AsyncClient) -> str:
    await sign_in(client, "sam")
    answer = await client.post("/directory/new", data=LISTING)
    assert answer.status_code == 303
    return str(answer.headers["location"])


async def mirrored_listing(client: httpx.AsyncClient, services: Services) -> str:
    """The id here of eve's listing, mirrored as alice follows eve; alice signed in."""
    await follow_eve(services)
    await send(client, services, activity("Create", listing(), 1))
    await sign_in(client, "alice")
    mirrored = (await client.get("/directory", params={"q": "rosa"})).text
    return mirrored.split('href="/directory/')[1].split('"')[0]


@pytest.mark.usefixtures("staffed")
async def test_an_offered_correction_is_filed_once_and_answered_to_its_server(
    client: httpx.AsyncClient, services: Services
) -> None:
    path = await publish(client)
    for _ in range(2):  # delivered twice: filed once
        await send(client, services, offer(1, f"{BASE}{path}"))
    queue = (await client.get("/staff/corrections")).text
    assert queue.count("Now from 20:00") == 1 and "alert" not in queue
    assert "through remote.example" in queue and "not signed" in queue
    number = queue.split('action="/staff/corrections/')[1].split("/")[0]
    refused = await client.post(f"/staff/corrections/{number}/reject", data={"reason": " "})
    assert "Give the reason for rejecting it" in await world.notice_after(client, refused)
    reason = {"reason": "We called them: still 18:00."}
    assert (await client.post(f"/staff/corrections/{number}/reject", data=reason)).is_redirect
    [answer] = await queued(services, "Reject")
    assert answer["actor"] == ORGANISATION and answer["to"] == [EVE]
    assert answer["object"] == "https://remote.example/corrections/1"
    assert answer["content"] == "<p>We called them: still 18:00.</p>"
    assert "No suggestions wait for you." in (await client.get("/staff/corrections")).text
    async with services.sessions() as session:
        actions = await session.scalars(select(AuditEntry.action))
        assert "correction.rejected" in list(actions)


@pytest.mark.usefixtures("staffed")
async def test_offers_signed_for_another_server_or_from_quarantine_are_dropped(
    client: httpx.AsyncClient, services: Services
) -> None:
    path = await publish(client)
    foreign = offer(1, f"{BASE}{path}", signedBy="https://victim.example/users/vic")
    await send(client, services, foreign)
    unknown = offer(2, f"{BASE}/directory/1")
    await send(client, services, unknown)
    long = offer(4, f"{BASE}{path}", signedBy=f"https://remote.example/{'x' * 3000}")
    await send(client, services, long)  # a DataError on PostgreSQL, retried forever, before
    services.federation.mode = FederationMode.OPEN
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")
        met = await session.get(quarantine.KnownServer, "remote.example")
        assert met is not None  # met at its first delivery: held from now on, for a week
        met.quarantined_until = utcnow() + timedelta(days=7)
    await send(client, services, offer(3, f"{BASE}{path}"))
    async with services.sessions() as session:
        outcomes = [(await inbox_outcome(session, o["id"]))[1] for o in (foreign, unknown, long)]
        held = (await inbox_outcome(session, "https://remote.example/corrections/3"))[1]
    assert "signed only by an actor of its own server" in str(outcomes[0])
    assert "corrects nothing a local organisation published" in str(outcomes[1])
    assert "signedBy has at most 2048 characters" in str(outcomes[2])
    assert "blocked or in quarantine" in str(held)
    assert "No suggestions wait for you." in (await client.get("/staff/corrections")).text


@pytest.mark.usefixtures("staffed")
async def test_a_members_correction_leaves_from_the_instance_actor_and_its_organisation_answers(
    client: httpx.AsyncClient, services: Services
) -> None:
    listing_id = await mirrored_listing(client, services)
    assert "Suggest a correction" in (await client.get(f"/directory/{listing_id}")).text
    form = {"listing": listing_id, "kind": "closed", "text": "Closed since May.", "sign": "on"}
    sent = await client.post("/corrections", data=form)
    assert sent.headers["location"] == f"/directory/{listing_id}"
    thanked = (await client.get(sent.headers["location"])).text
    assert "your correction went to the staff" in thanked
    [offered] = await queued(services, "Offer")
    async with services.sessions() as session:
        instance = await accounts.instance_actor(session)
        assert instance is not None
    assert offered["actor"] == instance.uri and offered["to"] == [EVE]
    assert offered["object"]["context"] == "https://remote.example/directory/1"
    assert offered["object"]["signedBy"] == f"{BASE}/users/alice"  # she chose to sign
    answer = {"@context": CONTEXT, "type": "TentativeAccept", "object": offered["id"]}
    await send(client, services, {**answer, "id": f"{MALLORY}/a/1", "actor": MALLORY},
               keypair=keypair_for_tests(4), key_id=f"{MALLORY}#main-key")  # fmt: skip
    assert "Your suggested corrections" not in (await client.get("/notifications")).text
    await send(client, services, {**answer, "id": f"{EVE}/a/2", "actor": EVE})
    told = (await client.get("/notifications")).text
    assert "is being checked: the staff will call the service." in told


async def test_signed_out_visitors_are_sent_to_sign_in_where_the_node_does_not_allow_them(
    client: httpx.AsyncClient, services: Services, staffed: None
) -> None:
    path = await publish(client)
    await client.post("/logout")
    page = (await client.get(path)).text
    assert "Sign in to suggest a correction" in page and 'action="/corrections"' not in page
    sent = await client.post("/corrections", data={"listing": path.rsplit("/", 1)[1]})
    assert sent.headers["location"].startswith("/login")


@pytest.mark.parametrize("settings", [{"corrections_from_visitors": True}], indirect=True)
async def test_where_allowed_visitors_send_corrections_all_within_one_limit(
    client: httpx.AsyncClient, services: Services, staffed: None
) -> None:
    path = await publish(client)
    await client.post("/logout")
    assert 'action="/corrections"' in (await client.get(path)).text
    form = {"listing": path.rsplit("/", 1)[1], "kind": "contact"}
    answers = [(await client.post("/corrections", data=form)).status_code for _ in range(11)]
    assert answers == [303] * 10 + [429]
    await sign_in(client, "sam")
    queue = (await client.get("/staff/corrections")).text
    assert queue.count("from a reader of this node") == 10


@pytest.mark.usefixtures("staffed")
async def test_a_correction_to_a_country_page_section_opens_its_editor_once_accepted(
    client: httpx.AsyncClient, services: Services
) -> None:
    await sign_in(client, "sam")
    page = {"language": "en", "title": "Working in Romania", "health": "Free HIV tests.",
            "last_reviewed": "2026-10-01", "note": "First version"}  # fmt: skip
    assert (await client.post("/countries/RO/edit", data=page)).status_code == 303
    about = f"{BASE}/countries/RO/organisation"
    await send(client, services, offer(1, about, section="health", inLanguage="en"))
    await send(client, services, offer(2, about))  # which section, it does not say: dropped
    queue = (await client.get("/staff/corrections")).text
    assert queue.count("<article") == 1 and "Access to health care" in queue
    number = queue.split('action="/staff/corrections/')[1].split("/")[0]
    accepted = await client.post(f"/staff/corrections/{number}/accept")
    editor = accepted.headers["location"]
    assert editor == f"/countries/RO/edit?version=en&correction={number}"
    form = (await client.get(editor)).text
    assert "The correction you accepted" in form and "Now from 20:00" in form
    assert f'value="{utcnow().date().isoformat()}"' in form
    [answer] = await queued(services, "Accept")
    assert answer["object"] == "https://remote.example/corrections/1" and "content" not in answer


@pytest.mark.usefixtures("staffed")
async def test_a_correction_applied_again_with_its_batch_costs_its_server_once(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """A note given by id stops eve's batch, which is rolled back and applied again without
    it: the correction in it took its server's last token the first time, and the second
    time found none left and was dropped. A token is spent only when its item is kept."""
    services.federation.limits.limits[Action.CORRECTION_HOST] = Limit(burst=1, seconds=3600)
    path = await publish(client)
    by_id = note_to_alice(3)
    remote.documents[f"{EVE}/statuses/3"] = by_id["object"]  # type: ignore[assignment]
    by_id["object"] = f"{EVE}/statuses/3"
    for body in (offer(1, f"{BASE}{path}"), by_id):
        assert (await deliver(client, body)).status_code == 202
    await Worker(services.federation).run_once()
    assert (await client.get("/staff/corrections")).text.count("Now from 20:00") == 1
    async with services.sessions() as session:
        assert await inbox_outcome(session, "https://remote.example/corrections/1") == (
            "applied",
            None,
        )
