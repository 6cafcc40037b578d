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
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from activitypub.actors import Actor, PublicKey, parse_actor
from activitypub.hostnames import host_of
from content import accounts, relationships
from content.accounts import Account
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
    states = await delivery_states(services)
    assert {kind: states[kind] for kind in queued} == {
        "Create": "refused",
        "Like": "refused",
        "Delete": "delivered",
        "Update": "delivered",
        "Announce": "refused",
    }


async def test_inboxes_others_use_go_hers_anywhere_is_withheld_and_stays_while_suspended(
    services: Services, remote: FakeServer
) -> None:
    """mallory of hostile.example names remote.example's shared inbox, which dan there has,
    as hers; bob, whom the node learns of after eve's suspension, has eve's inbox as his
    server's shared inbox: suspending mallory and eve withholds neither inbox. carol of
    hostile.example has her inbox on another host of hers: it is withheld all the same,
    though an accomplice on a third server names it as its shared inbox (only accounts of
    the inbox's server count). eve, suspended, then publishes another inbox: hers stays."""
    pem = keypair_for_tests(4).public_pem
    server = EVE.rsplit("/", 1)[0]
    mallory, carol = "https://hostile.example/users/mallory", "https://hostile.example/users/carol"
    elsewhere = f"{server}/carol-inbox"  # not on her server

    async def store(session: AsyncSession, uri: str, inbox: str, shared: str = "") -> Account:
        key = PublicKey(id=f"{uri}#main-key", owner=uri, pem=pem)
        name = uri.rsplit("/", 1)[1]
        known = Actor(uri, ActorType.PERSON, name, inbox, None, key, shared_inbox=shared or None)
        return await accounts.upsert_remote(session, known, host_of(uri))

    async with services.sessions() as session, session.begin():
        accounts.suspend(await store(session, mallory, SHARED))
        accounts.suspend(await store(session, carol, elsewhere))
        await store(session, f"{server}/dan", f"{server}/dan/inbox", SHARED)
        accomplice = "https://accomplice.example/users/x"
        await store(session, accomplice, f"{accomplice}/inbox", elsewhere)
        eve = await resolve.fetch_actor(services.federation, session, EVE)
    await suspend_eve(services)
    async with services.sessions() as session, session.begin():
        await store(session, f"{server}/bob", f"{server}/bob/inbox", eve.inbox_uri)
        moved = parse_actor(remote.documents[EVE] | {"inbox": f"{EVE}/inbox2"})
        assert (await accounts.upsert_remote(session, moved, "remote.example")).inbox_uri == (
            eve.inbox_uri
        )
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        for name, inbox, to in (
            ("for-dan", SHARED, f"{server}/dan"),
            ("for-bob", eve.inbox_uri, f"{server}/bob"),
            ("for-carol", elsewhere, None),  # a Like of hers, say: addressed to no one
        ):
            sent = {
                "id": f"{ALICE}#{name}",
                "type": "Create",
                "actor": ALICE,
                "to": [to] if to else [],
            }
            await delivery.enqueue(session, sent, alice.id, [inbox])
    await Worker(services.federation).run_once()
    states = await delivery_states(services)
    assert {name: states[name] for name in ("for-dan", "for-bob", "for-carol")} == {
        "for-dan": "delivered",
        "for-bob": "delivered",
        "for-carol": "refused",
    }


async def test_an_activity_addressing_what_is_no_uri_or_many_goes_and_stops_no_claim(
    services: Services, remote: FakeServer
) -> None:
    """Addressed to eve, suspended, and to a string with a NUL in it (which stopped every
    claim on PostgreSQL, attack15), or to eve and many more: neither is for her alone."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        await resolve.fetch_actor(services.federation, session, EVE)
        many = [EVE, *(f"{EVE}-{number}" for number in range(withholding.MAX_ADDRESSED))]
        for name, to in (("nul", [EVE, f"{EVE}\u0000x"]), ("many", many), ("her", [EVE])):
            sent = {"id": f"{ALICE}#{name}", "type": "Create", "actor": ALICE, "to": to}
            await delivery.enqueue(session, sent, alice.id, [SHARED])
    await suspend_eve(services)
    await Worker(services.federation).run_once()
    states = await delivery_states(services)
    assert {name: states[name] for name in ("nul", "many", "her")} == {
        "nul": "delivered",
        "many": "delivered",
        "her": "refused",
    }


async def delivery_states(services: Services) -> dict[str, str]:
    """Each delivery's state, by its activity id's fragment."""
    async with services.sessions() as session:
        rows = await session.execute(select(Delivery.activity_id, Delivery.state))
        return {activity_id.rsplit("#", 1)[-1]: state for activity_id, state in rows}
