"""What was queued for a remote account before a moderator suspended her (`withholding`):
the worker's claim refuses what goes to her own inbox, or to her server's shared inbox
addressed to her alone, but for what takes back or refuses (her follow's Reject, which the
suspension sends, and deletions). Before, a post addressed to her as she was suspended, or
waiting for her server to answer again, still went to her: its addressing had read her as
not suspended. What goes to her server's shared inbox for others too still goes; an inbox
she names on another server, or one her server's other accounts use, is not withheld; and
her inbox stays as it was while she is suspended (attack13)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from activitypub import ActorType
from activitypub.actors import Actor, PublicKey, parse_actor
from content import accounts, relationships
from federation import delivery, resolve, withholding
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
    queued = {
        "Create": "personal",
        "Like": "personal",
        "Delete": "personal",
        "Update": "shared",  # to her followers there, naming her
        "Announce": "shared, to her alone",
    }
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.fetch_actor(services.federation, session, EVE)
        assert alice is not None
        await relationships.add_follow(session, eve, alice, uri=f"{EVE}/f/1", accepted=True)
        for kind, inbox in queued.items():
            sent = {"id": f"{ALICE}#{kind}", "type": kind, "actor": ALICE, "to": [EVE]}
            if inbox == "shared":
                sent["cc"] = [f"{ALICE}/followers"]
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
        "Announce": "refused",
    }


async def test_inboxes_others_use_are_not_withheld_and_hers_stays_while_suspended(
    services: Services, remote: FakeServer
) -> None:
    """mallory of hostile.example names remote.example's shared inbox as hers, and eve's
    server serves her own inbox as its shared inbox too: suspending either withholds neither
    inbox. eve, suspended, then publishes another inbox: hers stays the one stored."""
    hostile = "https://hostile.example/users/mallory"
    async with services.sessions() as session, session.begin():
        pem = keypair_for_tests(4).public_pem
        key = PublicKey(id=f"{hostile}#main-key", owner=hostile, pem=pem)
        actor = Actor(hostile, ActorType.PERSON, "mallory", SHARED, None, key)
        accounts.suspend(await accounts.upsert_remote(session, actor, "hostile.example"))
        eve = await resolve.fetch_actor(services.federation, session, EVE)
        bob = f"{EVE.rsplit('/', 1)[0]}/bob"
        key = PublicKey(id=f"{bob}#main-key", owner=bob, pem=pem)
        inbox, shared = f"{bob}/inbox", eve.inbox_uri  # her server: one inbox for them all
        single = Actor(bob, ActorType.PERSON, "bob", inbox, None, key, shared_inbox=shared)
        await accounts.upsert_remote(session, single, "remote.example")
    await suspend_eve(services)
    async with services.sessions() as session:
        assert (await withholding.suspended(session)).inboxes == set()
    async with services.sessions() as session, session.begin():
        moved = parse_actor(remote.documents[EVE] | {"inbox": f"{EVE}/inbox2"})
        kept = await accounts.upsert_remote(session, moved, "remote.example")
        assert kept.inbox_uri == f"{EVE}/inbox"
