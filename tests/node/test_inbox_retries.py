"""An inbox item whose handler fails is tried again on the worker's back-off, and ends as
`errored` once the retries are spent; the worker is stepped and the clock moved, never slept."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select, update

from content import accounts
from content.orm import utcnow
from federation.inbox import InboxItem
from federation.transport import Transport
from federation.worker import INBOX_RETRIES, Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.signing import signed_post

pytestmark = pytest.mark.anyio
NOTE = f"{EVE}/statuses/77"
CREATE = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "id": f"{NOTE}/activity",
    "type": "Create",
    "actor": EVE,
    "to": [f"{BASE}/users/alice"],
    "object": NOTE,  # by id: the node must fetch the note from remote.example
}


class Outage:
    """remote.example answers 503 for the note until `up` is set; all else as before."""

    def __init__(self, server: FakeServer, worker: Worker) -> None:
        self.server = server
        self.worker = worker
        self.up = False
        self.note_requests = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url.raw_path.decode()) == NOTE.removeprefix("https://remote.example"):
            self.note_requests += 1
            if not self.up:
                return httpx.Response(503, text="down for maintenance")
        return self.server.handle(request)


@pytest.fixture
async def outage(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
    caplog: pytest.LogCaptureFixture,
) -> Outage:
    """The Create has arrived (by id) while its origin is down; the worker has not run."""
    caplog.set_level(logging.WARNING, logger="harbour.worker")
    remote.documents[NOTE] = {
        "id": NOTE,
        "type": "Note",
        "attributedTo": EVE,
        "content": "<p>are you free on friday, alice?</p>",
        "to": [f"{BASE}/users/alice"],
        "tag": [{"type": "Mention", "href": f"{BASE}/users/alice"}],
        "published": "2026-11-01T10:00:00Z",
    }
    found = Outage(remote, Worker(services.federation))
    policy = services.federation.transport.policy
    await services.federation.transport.aclose()
    services.federation.transport = Transport(
        policy, user_agent="test", transport=httpx.MockTransport(found.handle)
    )
    await send_create(client)
    return found


async def send_create(client: httpx.AsyncClient) -> None:
    headers, body = signed_post(
        "/users/alice/inbox",
        CREATE,
        host="harbour.test",
        key_id=f"{EVE}#main-key",
        private_pem=keypair_for_tests(3).private_pem,
    )
    response = await client.post("/users/alice/inbox", content=body, headers=headers)
    assert response.status_code == 202, response.text


async def item(services: Services) -> InboxItem:
    async with services.sessions() as session:
        found = await session.scalar(select(InboxItem).where(InboxItem.activity_id == CREATE["id"]))
    assert found is not None
    return found


async def make_due(services: Services) -> None:
    """Move the clock: the waiting retry falls due now."""
    async with services.sessions() as session, session.begin():
        await session.execute(update(InboxItem).values(next_attempt_at=utcnow()))


async def alices_notifications(client: httpx.AsyncClient, services: Services) -> list[str]:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        headers = await world.bearer(session, alice)
    response = await client.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 200
    return [entry["status"]["content"] for entry in response.json() if entry.get("status")]


@pytest.mark.expect_failures(r"statuses/77/activity (failed|errored): TryLater")
async def test_an_item_retries_on_the_back_off_and_ends_errored(
    client: httpx.AsyncClient,
    services: Services,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for attempt, wait in enumerate(INBOX_RETRIES, start=1):
        before = utcnow()
        assert await outage.worker.run_once() == 1
        failed = await item(services)
        assert (failed.state, failed.attempts) == ("retry", attempt)
        assert "answered 503" in (failed.last_error or "")
        assert before + wait <= failed.next_attempt_at <= utcnow() + wait
        await nothing_is_tried_before_it_is_due(outage, services)
    assert await outage.worker.run_once() == 1
    ended = await item(services)
    assert (ended.state, ended.attempts) == ("errored", len(INBOX_RETRIES) + 1)
    assert "TryLater" in (ended.last_error or "")
    await nothing_is_tried_before_it_is_due(outage, services)  # errored is never due again
    assert await alices_notifications(client, services) == []
    assert caplog.text.count(f"applying Create {CREATE['id']} failed: TryLater") == 4


async def nothing_is_tried_before_it_is_due(outage: Outage, services: Services) -> None:
    """A worker pass before the retry is due asks nothing; then the clock moves on."""
    asked = outage.note_requests
    assert await outage.worker.run_once() == 0
    assert outage.note_requests == asked
    await make_due(services)


@pytest.mark.expect_failures(r"statuses/77/activity failed: TryLater")
async def test_an_item_applies_once_its_origin_is_back(
    client: httpx.AsyncClient, services: Services, outage: Outage
) -> None:
    assert await outage.worker.run_once() == 1
    assert (await item(services)).state == "retry"
    outage.up = True
    await make_due(services)
    assert await outage.worker.run_once() == 1
    applied = await item(services)
    assert (applied.state, applied.attempts) == ("applied", 1)
    assert await alices_notifications(client, services) == ["<p>are you free on friday, alice?</p>"]
