"""Real documents from other servers (tests/fixtures/shapes), each delivered through the
signed inbox: stored and shown as a reader expects, on the web page and in the client API,
or refused with a clear reason."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from activitypub.hostnames import host_of
from activitypub.jsonld import first_actor
from content import accounts, relationships
from federation import resolve
from federation.transport import Transport, TransportPolicy
from federation.worker import Worker
from moderation import allowlist
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_directory_pages import sign_in
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio
SHAPES = Path(__file__).parents[1] / "fixtures" / "shapes"
CASES = sorted(SHAPES.glob("*.json"))


def load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The activity to deliver (an object is wrapped in its author's Create) and what a
    reader should see."""
    document = json.loads(path.read_text())
    expect = document.pop("_expect")
    document.pop("_source")
    if document.get("type") == "Create":
        return document, expect
    author = first_actor(document.get("attributedTo"))
    activity = {
        "@context": document.pop("@context", "https://www.w3.org/ns/activitystreams"),
        "id": f"{document['id']}#create",
        "type": "Create",
        "actor": author,
        "to": document.get("to"),
        "cc": document.get("cc"),
        "object": document,
    }
    return activity, expect


@pytest.fixture
async def origin(services: Services) -> AsyncIterator[FakeServer]:
    """Every author of the corpus on its own server, reached through a mock transport at
    public addresses, allowed here and followed by alice."""
    server = FakeServer()
    authors = {}
    for path in CASES:
        activity, expect = load(path)
        if "author" in expect or activity["actor"] not in authors:
            authors[activity["actor"]] = expect.get("author", "someone@x").split("@")[0]
    hosts = {host_of(uri) for uri in authors}
    policy = TransportPolicy(static_hosts={host: "93.184.216.34" for host in hosts})
    await services.federation.transport.aclose()
    services.federation.transport = Transport(
        policy, user_agent="test", transport=httpx.MockTransport(server.handle)
    )
    for uri, username in authors.items():
        server.add_actor(uri, keypair_for_tests(3), username)
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        await accounts.ensure_instance_actor(
            session, base_url=BASE, host="harbour.test", keypair=keypair_for_tests(2)
        )
        for host in hosts:
            await allowlist.allow(session, host)
        for number, uri in enumerate(authors):
            author = await resolve.actor_by_uri(services.federation, session, uri)
            await relationships.add_follow(
                session, alice, author, uri=f"{BASE}/follows/{number}", accepted=True
            )
    yield server


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
async def test_a_real_document_is_shown_as_a_reader_expects(
    path: Path, client: httpx.AsyncClient, services: Services, origin: FakeServer
) -> None:
    activity, expect = load(path)
    response = await deliver(client, activity, key_id=f"{activity['actor']}#main-key")
    assert response.status_code == 202, response.text
    await Worker(services.federation).run_once()
    if "refused" in expect:
        async with services.sessions() as session:
            outcome = await inbox_outcome(session, activity["id"])
        assert outcome == ("ignored", expect["refused"])
        return

    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        token = await world.bearer(session, alice)
    [status] = (await client.get("/api/v1/timelines/home", headers=token)).json()
    for text in expect["text"]:
        assert text in status["content"]
    assert status["account"]["acct"] == expect["author"]
    assert [m["type"] for m in status["media_attachments"]] == expect["media"]
    assert status["sensitive"] is expect["sensitive"]
    for field in ("url", "language", "visibility"):
        if field in expect:
            assert status[field] == expect[field]
    if "link" in expect:
        assert f'href="{expect["link"]}"' in status["content"]

    await sign_in(client, "alice")
    page = (await client.get("/home")).text
    for text in expect["text"]:
        assert text in page
    assert f"@{expect['author']}" in page
    if expect["media"] and expect["sensitive"]:
        assert '<details class="sensitive">' in page
    if "no_img" in expect:  # custom emoji stay text: no image from elsewhere is loaded
        assert expect["no_img"] not in page
