"""Members' experiences of a service, through the corrections queue: a member tells the
organisation that owns a listing how the service treated her (a rating and her words), from
this node's instance actor when the listing is mirrored; only the organisation's staff read
it, mark it read or that it needs a call (never "rejected"), and she hears which. Visitors
cannot send one, whatever the node allows for corrections."""

from __future__ import annotations

import json

import httpx
import pytest

from content import accounts
from federation.correction_wire import CONTEXT
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_corrections import (  # noqa: F401 (fixtures)
    ORGANISATION,
    mirrored_listing,
    offer,
    publish,
    queued,
    settings,
    staffed,
)
from tests.node.test_directory_pages import sign_in
from tests.node.test_listing_inbox import send
from tests.rig import world
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio
TOLD = "The nurse asked about my papers before anything else."


@pytest.mark.usefixtures("staffed")
async def test_a_members_experience_of_a_mirrored_service_goes_unnamed_to_its_organisation(
    client: httpx.AsyncClient, services: Services
) -> None:
    listing_id = await mirrored_listing(client, services)
    page = f"/directory/{listing_id}"
    assert "Tell the organisation how this service treated you" in (await client.get(page)).text
    form = {"listing": listing_id, "kind": "experience", "text": TOLD}
    unrated = await client.post("/corrections", data=form)
    assert await world.notice_after(client, unrated) == "Choose how the service treated you."
    sent = await client.post("/corrections", data={**form, "rating": "bad"})
    assert sent.headers["location"] == page
    thanked = (await client.get(page)).text
    assert "went to the staff of the organisation that published this listing" in thanked
    [offered] = await queued(services, "Offer")
    async with services.sessions() as session:
        instance = await accounts.instance_actor(session)
        assert instance is not None
    assert offered["actor"] == instance.uri and offered["to"] == [EVE]
    note = offered["object"]
    assert note["correctionKind"] == "experience" and note["experienceRating"] == "bad"
    assert TOLD in note["content"] and "signedBy" not in note
    assert "alice" not in json.dumps(offered)
    answer = {"@context": CONTEXT, "type": "Accept", "object": offered["id"]}
    await send(client, services, {**answer, "id": f"{EVE}/a/1", "actor": EVE})
    told = (await client.get("/notifications")).text
    assert "The staff read what you told them about" in told


@pytest.mark.usefixtures("staffed")
async def test_an_offered_experience_is_for_the_staff_alone_and_is_read_not_rejected(
    client: httpx.AsyncClient, services: Services
) -> None:
    path = await publish(client)
    rated = {"correctionKind": "experience", "experienceRating": "mixed", "content": TOLD}
    await send(client, services, offer(1, f"{BASE}{path}", **rated))
    unrated = offer(2, f"{BASE}{path}", correctionKind="experience", experienceRating="awful")
    await send(client, services, unrated)
    page = offer(3, f"{BASE}/countries/RO/organisation", **rated, section="health")
    await send(client, services, page)
    async with services.sessions() as session:
        outcomes = [(await inbox_outcome(session, o["id"]))[1] for o in (unrated, page)]
    assert "Choose how the service treated you" in str(outcomes[0])
    assert "Only a listed service can be rated" in str(outcomes[1])

    queue = (await client.get("/staff/corrections")).text
    assert queue.count("<article") == 1
    assert "How the service treated a member: Neither well nor badly" in world.words(queue)
    assert TOLD in queue and "Mark it read" in queue and "Reason for rejecting it" not in queue
    number = queue.split('action="/staff/corrections/')[1].split("/")[0]
    assert (
        await client.post(f"/staff/corrections/{number}/reject", data={"reason": "no"})
    ).status_code == 404
    await client.post("/logout")
    assert TOLD not in (await client.get(path)).text  # never on the listing's page
    await sign_in(client, "sam")
    read = await client.post(f"/staff/corrections/{number}/accept")
    assert read.headers["location"] == "/staff/corrections"  # no edit form to open
    [answer] = await queued(services, "Accept")
    assert answer["actor"] == ORGANISATION and answer["to"] == [EVE]
    assert answer["object"] == "https://remote.example/corrections/1"


@pytest.mark.usefixtures("staffed")
@pytest.mark.parametrize("settings", [{"corrections_from_visitors": True}], indirect=True)
async def test_only_members_tell_their_experience_and_a_local_one_is_answered_here(
    client: httpx.AsyncClient, services: Services
) -> None:
    path = await publish(client)
    await client.post("/logout")
    shown = (await client.get(path)).text
    assert 'action="/corrections"' in shown  # visitors may correct here...
    assert "Tell the organisation how this service treated you" not in shown  # ...not rate
    form = {"listing": path.rsplit("/", 1)[1], "kind": "experience", "rating": "good"}
    assert (await client.post("/corrections", data=form)).headers["location"].startswith("/login")

    await sign_in(client, "alice")
    assert (await client.post("/corrections", data=form)).status_code == 303
    await client.post("/logout")
    await sign_in(client, "sam")
    queue = (await client.get("/staff/corrections")).text
    assert "How the service treated a member: Well" in world.words(queue)
    assert "from a reader of this node" in queue and "not signed" in queue
    number = queue.split('action="/staff/corrections/')[1].split("/")[0]
    assert (await client.post(f"/staff/corrections/{number}/call")).status_code == 303
    await client.post("/logout")
    await sign_in(client, "alice")
    told = (await client.get("/notifications")).text
    assert "The staff will call" in told and "about what you told them." in told
