"""What was queued for a remote account's own inbox before a moderator suspended her: the
worker's claim refuses it, but for what takes back or refuses (her follow's Reject, which
the suspension sends, and deletions). Before, a post addressed to her as she was suspended,
or waiting for her server to answer again, still went to her inbox: its addressing had read
her as not suspended. What goes to her server's shared inbox, for others there, still goes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from activitypub import ActorType
from activitypub.actors import Actor, PublicKey
from content import accounts, relationships
from federation import addressing, delivery, resolve
from federation.delivery import Delivery
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_suspended_deletes import suspend_eve
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
ALICE = f"{BASE}/users/alice"
SHARED = EVE.split("/users/")[0] + "/inbox"


async def test_a_suspended_accounts_queue_keeps_only_take_backs(
    services: Services, remote: FakeServer
) -> None:
    queued = {"Create": "personal", "Like": "personal", "Delete": "personal", "Update": "shared"}
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.fetch_actor(services.federation, session, EVE)
        assert alice is not None
        await relationships.add_follow(session, eve, alice, uri=f"{EVE}/f/1", accepted=True)
        for kind, inbox in queued.items():
            sent = {"id": f"{ALICE}#{kind}", "type": kind, "actor": ALICE, "to": [EVE]}
            to = eve.inbox_uri if inbox == "personal" else SHARED
            await delivery.enqueue(session, sent, alice.id, [to])
    await suspend_eve(services)  # queues the Reject of her follow, to her inbox
    await Worker(services.federation).run_once()

    posts = [r for r in remote.requests if r.method == "POST"]
    assert sorted((r.url.path, json.loads(r.content)["type"]) for r in posts) == [
        ("/inbox", "Update"),  # her server's shared inbox
        ("/users/eve/inbox", "Delete"),
        ("/users/eve/inbox", "Reject"),
    ]
    async with services.sessions() as session:
        rows = await session.execute(select(Delivery.activity_id, Delivery.state))
        states = {activity_id.rsplit("#", 1)[-1]: state for activity_id, state in rows}
    assert {kind: states[kind] for kind in queued} == {
        "Create": "refused",
        "Like": "refused",
        "Delete": "delivered",
        "Update": "delivered",
    }


async def test_an_inbox_on_another_server_is_not_withheld_for_a_suspended_account(
    services: Services, remote: FakeServer
) -> None:
    """An actor document names any inbox: a hostile account naming another server's inbox
    (here, that of remote.example's shared inbox) does not have it refused once suspended."""
    hostile = "https://hostile.example/users/mallory"
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        key = PublicKey(
            id=f"{hostile}#main-key", owner=hostile, pem=keypair_for_tests(4).public_pem
        )
        actor = Actor(hostile, ActorType.PERSON, "mallory", SHARED, None, key)
        mallory = await accounts.upsert_remote(session, actor, "hostile.example")
        accounts.suspend(mallory)
        sent = {"id": f"{ALICE}#for-others", "type": "Create", "actor": ALICE, "to": [EVE]}
        await delivery.enqueue(session, sent, alice.id, [SHARED])
    assert await suspended_inboxes_now(services) == set()
    await Worker(services.federation).run_once()
    posts = [r for r in remote.requests if r.method == "POST"]
    assert [(r.url.path, json.loads(r.content)["type"]) for r in posts] == [("/inbox", "Create")]


async def suspended_inboxes_now(services: Services) -> set[str]:
    async with services.sessions() as session:
        return await addressing.suspended_inboxes(session)
