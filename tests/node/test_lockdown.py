"""Lockdown, the one switch for the day a node is attacked: an admin turns it on from the
admin page; at once only allowlisted servers get in, fetches must be signed and nobody can
join; turning it off restores what was before; both turns are in the audit log; another
process of the node follows the switch within a second."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from content import accounts, relationships
from content.users import Role
from federation import outbox, resolve
from federation.delivery import Delivery
from federation.worker import Worker
from moderation import allowlist, audit, lockdown
from moderation.policy import FederationMode
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
AP = {"Accept": "application/activity+json"}


async def test_an_admin_locks_the_node_down_and_opens_it_again(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    services.federation.mode = FederationMode.OPEN  # a node in open federation
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")
        await world.local_member(session, "ada", base_url=BASE, role=Role.ADMIN)
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    assert (await client.get("/users/alice", headers=AP)).status_code == 200
    signed = await client.post("/login", data={"username": "ada", "password": world.PASSWORD})
    assert signed.status_code == 303
    assert "Turn lockdown on" in (await client.get("/admin")).text

    turned = await client.post("/admin/lockdown", data={"lockdown": "on", "reason": "raid"})
    assert turned.headers["location"] == "/admin"
    assert "Lockdown is on." in (await client.get("/admin")).text
    assert (await deliver(client, note_to_alice(2))).status_code == 403
    assert (await client.get("/users/alice", headers=AP)).status_code == 401  # unsigned
    joining = await client.get("/register?invite=abc")
    assert joining.status_code == 403 and "Joining this node is closed" in joining.text

    await client.post("/admin/lockdown", data={"lockdown": "off", "reason": "calm again"})
    assert (await deliver(client, note_to_alice(3))).status_code == 202
    assert (await client.get("/users/alice", headers=AP)).status_code == 200
    assert (await client.get("/register?invite=abc")).status_code == 200
    assert services.federation.mode == FederationMode.OPEN  # nothing of the settings changed
    async with services.sessions() as session:
        logged = [(e.action, e.reason, name) for e, name in await audit.recent(session)]
    assert logged[:2] == [("lockdown off", "calm again", "ada"), ("lockdown on", "raid", "ada")]


@dataclass
class OtherProcess:
    lockdown: bool = False


async def test_every_process_follows_the_switch_within_a_second(services: Services) -> None:
    other = OtherProcess()
    following = asyncio.create_task(lockdown.follow(services.sessions, other))
    async with services.sessions() as session, session.begin():
        assert await lockdown.turn(session, True, None, "from the command line")
        assert not await lockdown.turn(session, True, None)  # already on: nothing logged
    await asyncio.sleep(lockdown.FOLLOW_SECONDS * 1.5)
    assert other.lockdown
    async with services.sessions() as session, session.begin():
        await lockdown.turn(session, False, None)
    await asyncio.sleep(lockdown.FOLLOW_SECONDS * 1.5)
    following.cancel()  # awaited: a query cut off later would leak its connection
    await asyncio.gather(following, return_exceptions=True)
    assert not other.lockdown


async def test_a_lockdown_turned_in_another_process_stops_deliveries_at_once(
    services: Services, remote: FakeServer
) -> None:
    """A post queued to a server off the allowlist, then lockdown turned by another process
    (`harbour lockdown on`): this worker has not followed the switch yet (it reads it within
    a second), but what it claims next is checked against the database, so nothing leaves."""
    services.federation.mode = FederationMode.OPEN
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")  # a stranger, not a partner
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.fetch_actor(services.federation, session, EVE)
        assert alice is not None
        await relationships.add_follow(session, eve, alice, uri=f"{EVE}/f/1", accepted=True)
        await outbox.publish(services.federation, session, alice, "for my followers")
    async with services.sessions() as session, session.begin():
        assert await lockdown.turn(session, True, None, "from the command line")
    assert not services.federation.lockdown  # this process has not followed it yet
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        states = list(await session.scalars(select(Delivery.state)))
    assert states == ["refused"]
    assert not [r for r in remote.requests if r.method == "POST"]


async def test_a_lockdown_turned_in_another_process_asks_signatures_at_once(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await client.get("/users/alice", headers=AP)).status_code == 200
    async with services.sessions() as session, session.begin():
        assert await lockdown.turn(session, True, None, "from the command line")
    assert (await client.get("/users/alice", headers=AP)).status_code == 401
