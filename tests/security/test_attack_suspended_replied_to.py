"""A member's public reply to a post of a remote account a moderator suspended still went
to her (found by attack6): `addressing.for_post` added the replied-to author's inbox with
no look at her suspension, where mentions, edits and poll results leave her out (attack5).
Her server told her of the answer (a notification from a member she was cut off from)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from content import accounts, posts
from federation.delivery import Delivery
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import EVE
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.remote import FakeServer
from tests.security.test_attack_suspended_mentioned import ALICE, suspend_eve

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
async def test_an_edit_of_a_reply_to_a_suspended_accounts_post_is_not_sent_to_her(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, visibility: str
) -> None:
    note = {
        "id": f"{EVE}/notes/1",
        "type": "Note",
        "attributedTo": EVE,
        "content": "<p>where do you work now?</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public", ALICE],
        "tag": [{"type": "Mention", "href": ALICE, "name": "@alice@harbour.test"}],
        "published": "2026-12-06T10:00:00Z",
    }
    create = {"id": f"{EVE}/notes/1/create", "type": "Create", "actor": EVE, "object": note}
    assert (await deliver(client, create)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session, session.begin():
        hers = await posts.get_by_uri(session, note["id"])
        assert hers is not None
        member = await world.bearer(session, await accounts.get_by_uri(session, ALICE))
    answer = await client.post(  # before her suspension: it went to her
        "/api/v1/statuses",
        headers=member,
        data={"status": "not telling", "visibility": visibility, "in_reply_to_id": str(hers.id)},
    )
    assert answer.status_code == 200, answer.text
    await suspend_eve(client, services)

    edit = await client.put(
        f"/api/v1/statuses/{answer.json()['id']}",
        headers=member,
        json={"status": "not telling. We moved to the new place"},
    )
    assert edit.status_code == 200, edit.text
    async with services.sessions() as session:
        inboxes = set(await session.scalars(select(Delivery.inbox)))
    assert not {i for i in inboxes if i.startswith("https://remote.example/")}

    await client.delete(f"/api/v1/statuses/{answer.json()['id']}", headers=member)
    async with services.sessions() as session:  # a deletion still takes it back from her
        inboxes = set(await session.scalars(select(Delivery.inbox)))
    assert "https://remote.example/inbox" in inboxes
