"""Attack: a reply that leaves a members-only group for the author's followers.

A member's reply to a post in a members-only group keeps the group's audience (a reply is
never wider than its parent). Written through the client API or the generic reply form it is
not filed in the group, so addressing treated it as a followers-only post: it went to every
server where the author has a follower, none of them the group's, though it says `to: []`.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from content import accounts, relationships
from federation import resolve
from federation.delivery import Delivery
from federation.worker import Worker
from node.state import Services
from tests.node.test_directory_pages import sign_in
from tests.node.test_private_groups import BOB, _alice_joined, _remote_group
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_a_reply_in_a_members_only_group_never_goes_to_the_authors_followers(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    _remote_group(remote, private=True)
    await _alice_joined(services)
    remote.add_actor(BOB, keypair_for_tests(5), "bob")
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        bob = await resolve.actor_by_uri(services.federation, session, BOB)
        assert alice is not None
        await relationships.add_follow(session, bob, alice, uri=f"{BOB}/f/1", accepted=True)
        token = await world.bearer(session, alice)
    await sign_in(client, "alice")
    made = await client.post(
        "/discussions/private@remote.example/new",
        data={"title": "Testing", "text": "where can I get an HIV test"},
    )
    assert made.status_code == 303, made.text
    thread = made.headers["location"].rsplit("/", 1)[1]
    reply = await client.post(
        "/api/v1/statuses",
        data={
            "status": "my result came back positive",
            "in_reply_to_id": thread,
            "visibility": "public",
        },
        headers=token,
    )
    assert reply.status_code == 200, reply.text
    form = {"text": "and my partner's too", "in_reply_to": thread, "visibility": "public"}
    assert (await client.post("/compose", data=form)).status_code == 303
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        rows = (await session.scalars(select(Delivery))).all()
    leaked = [row.inbox for row in rows if "positive" in row.body or "partner" in row.body]
    assert not [inbox for inbox in leaked if not inbox.startswith("https://remote.example")]
    assert not [r for r in remote.requests if r.url.host == "victim.example" and r.method == "POST"]
