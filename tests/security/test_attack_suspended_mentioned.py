"""A remote account a moderator suspended still got members' posts that mention her (found
by attack5). A member warning her followers about a hostile account ("@eve@remote.example
follows me from place to place"), or answering a direct thread eve began before her
suspension (clients fill her handle in), sent the post to eve's server, addressed to her:
her server showed her the followers-only warning and the direct answer; and an edit of a
direct message written to her before (a new address) went to her as well. Mastodon makes no
mention of a suspended account; neither does this node: her handle stays plain text."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from content import accounts, polls
from content.audience import Visibility
from content.orm import utcnow
from content.users import Role
from federation import poll_outbox
from federation.delivery import Delivery
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_admin_api import ADMIN_SCOPES, staff
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
ALICE = f"{BASE}/users/alice"


async def suspend_eve(client: httpx.AsyncClient, services: Services) -> None:
    """A moderator suspends eve through the admin API; what was queued before (her
    follow's Reject, posts sent before) is dropped: not what is looked at."""
    mod = await staff(services, "mo", Role.MODERATOR, ADMIN_SCOPES)
    async with services.sessions() as session:
        eve = await accounts.get_by_uri(session, EVE)
        assert eve is not None
    action = f"/api/v1/admin/accounts/{eve.id}/action"
    assert (await client.post(action, headers=mod, data={"type": "suspend"})).status_code == 200
    async with services.sessions() as session, session.begin():
        for delivery in await session.scalars(select(Delivery)):
            await session.delete(delivery)


async def edited(
    client: httpx.AsyncClient, services: Services, member: dict[str, str], post: str, text: str
) -> list[tuple[str, dict[str, Any]]]:
    """The member edits a post; what is queued then: (inbox, activity)."""
    answer = await client.put(f"/api/v1/statuses/{post}", headers=member, json={"status": text})
    assert answer.status_code == 200, answer.text
    async with services.sessions() as session:
        return [(d.inbox, json.loads(d.body)) for d in await session.scalars(select(Delivery))]


async def test_a_post_naming_a_suspended_remote_account_is_not_sent_to_her(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    hello = {"id": f"{EVE}/follows/1", "type": "Follow", "actor": EVE, "object": ALICE}
    assert (await deliver(client, hello)).status_code == 202  # eve is known here
    async with services.sessions() as session, session.begin():
        member = await world.bearer(session, await accounts.get_by_uri(session, ALICE))
    earlier = await client.post(  # before her suspension: it went to her
        "/api/v1/statuses",
        headers=member,
        data={"status": "@eve@remote.example no", "visibility": "direct"},
    )
    assert earlier.status_code == 200, earlier.text
    assert earlier.json()["mentions"] != []
    await suspend_eve(client, services)

    mentions = []
    for visibility in ("private", "direct"):
        text = f"@eve@remote.example is following me around ({visibility})"
        answer = await client.post(
            "/api/v1/statuses", headers=member, data={"status": text, "visibility": visibility}
        )
        assert answer.status_code == 200, answer.text
        mentions.append(answer.json()["mentions"])
    text = "@eve@remote.example no, and my new address is ..."
    edits = await edited(client, services, member, earlier.json()["id"], text)
    sent = [(inbox, activity["type"]) for inbox, activity in edits]
    assert sent == []
    assert mentions == [[], []]  # her handle is plain text


async def test_a_polls_results_are_not_sent_to_a_suspended_voter(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """eve voted on alice's followers-only poll before her suspension: its results, the
    Question with alice's text as it is now, went to her at every vote and at its end."""
    hello = {"id": f"{EVE}/follows/1", "type": "Follow", "actor": EVE, "object": ALICE}
    assert (await deliver(client, hello)).status_code == 202  # eve is known here
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_by_uri(session, ALICE)
        eve = await accounts.get_by_uri(session, EVE)
        assert alice is not None and eve is not None
        post = await world.post(session, alice, "Where do we meet?", Visibility.PRIVATE)
        poll = polls.create(session, post.id, polls.spec(["Harbour St", "Dock Rd"], 300))
        await session.flush()
        await polls.vote(session, poll, alice.id, eve.id, [0])
    await suspend_eve(client, services)
    async with services.sessions() as session, session.begin():
        running = await polls.of_post(session, post.id)
        assert running is not None
        running.expires_at = utcnow() - timedelta(seconds=1)

    assert await poll_outbox.tell_ended(services.federation) == 1
    async with services.sessions() as session:
        sent = [
            (d.inbox, json.loads(d.body)["type"]) for d in await session.scalars(select(Delivery))
        ]
    assert sent == []


async def test_an_edit_sent_to_her_servers_shared_inbox_does_not_name_her(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """bob, on eve's server, follows alice: the edit of alice's followers-only post that
    named eve before her suspension goes to that server's shared inbox for him. It named eve
    in its `cc` and Mention tags, and her server showed it to her as well."""
    bob = "https://remote.example/users/bob"
    remote.add_actor(bob, keypair_for_tests(4), "bob")
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_by_uri(session, ALICE)
        assert alice is not None
        alice.manually_approves_followers = False
        member = await world.bearer(session, alice)
    follow = {"id": f"{bob}/follows/1", "type": "Follow", "actor": bob, "object": ALICE}
    signed_as_bob = {"keypair": keypair_for_tests(4), "key_id": f"{bob}#main-key"}
    assert (await deliver(client, follow, **signed_as_bob)).status_code == 202
    hello = {"id": f"{EVE}/follows/1", "type": "Follow", "actor": EVE, "object": ALICE}
    assert (await deliver(client, hello)).status_code == 202  # eve is known here
    await Worker(services.federation).run_once()
    earlier = await client.post(
        "/api/v1/statuses",
        headers=member,
        data={"status": "@eve@remote.example stop", "visibility": "private"},
    )
    assert earlier.status_code == 200, earlier.text
    await suspend_eve(client, services)

    text = "@eve@remote.example stop. We moved to the new place"
    [(inbox, update)] = await edited(client, services, member, earlier.json()["id"], text)
    note = update["object"]
    named = [*update["to"], *update["cc"], *note["to"], *note["cc"]]
    named += [tag["href"] for tag in note.get("tag", [])]
    assert (inbox, update["type"], EVE in named) == (
        "https://remote.example/inbox",
        "Update",
        False,
    )
