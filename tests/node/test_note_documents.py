"""A local post as other servers get it: delivered in a Create, or fetched by GET, the same
Note (mentions linked and tagged, `cc`, `sensitive`)."""

from __future__ import annotations

import json

import httpx
import pytest

from content import accounts
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
AP = {"Accept": "application/activity+json"}


async def test_a_fetched_note_is_the_note_its_create_delivered(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    finger = "https://remote.example/.well-known/webfinger?resource=acct%3Aeve%40remote.example"
    remote.documents[finger] = {
        "subject": "acct:eve@remote.example",
        "links": [{"rel": "self", "type": "application/activity+json", "href": EVE}],
    }
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        token = await world.bearer(session, alice)
    posted = await client.post(
        "/api/v1/statuses",
        json={"status": "Look, @eve@remote.example", "sensitive": True},
        headers=token,
    )
    assert posted.status_code == 200, posted.text
    status = posted.json()
    assert status["sensitive"] is True
    # Linked as Mastodon links a mention; the link is to eve's profile.
    assert (
        f'<span class="h-card"><a href="{EVE}" class="u-url mention">@<span>eve</span></a></span>'
        in status["content"]
    )
    await Worker(services.federation).run_once()
    [delivered] = [r for r in remote.requests if r.method == "POST"]
    create = json.loads(delivered.content)
    fetched = (await client.get(f"{BASE}/users/alice/statuses/{status['id']}", headers=AP)).json()
    activity = (
        await client.get(f"{BASE}/users/alice/statuses/{status['id']}/activity", headers=AP)
    ).json()

    note = create["object"]
    assert note["tag"] == [{"type": "Mention", "href": EVE, "name": "@eve@remote.example"}]
    assert EVE in note["cc"] and note["sensitive"] is True
    for served in (fetched, activity["object"]):
        assert {key: served[key] for key in ("tag", "to", "cc", "sensitive", "content")} == {
            key: note[key] for key in ("tag", "to", "cc", "sensitive", "content")
        }
    assert (activity["to"], activity["cc"]) == (create["to"], create["cc"])
