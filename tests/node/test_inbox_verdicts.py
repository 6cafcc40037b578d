"""The inbox remembers the federation policy's verdicts (issue 18), and a change made by any
process holds for the next request all the same: blocks and the allowlist written here on a
connection of their own, as the CLI or another web process writes them, with no word to this
process's memory."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from activitypub.hostnames import host_of
from federation.inbox import InboxItem
from federation.worker import Worker
from moderation.policy import FederationMode
from node.database import driver_url
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_inbox_statements import counted
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
BLOCK = (
    "INSERT INTO domain_blocks (id, domain, severity, reject_media, reject_reports,"
    " public_comment, private_comment, obfuscate, created_at) VALUES (7, 'remote.example',"
    " 'suspend', false, false, '', '', false, CURRENT_TIMESTAMP)"
)
REFUSED_HERE = "this node does not federate with the actor's server"


@pytest.fixture
def elsewhere(database_url: str) -> Iterator[sa.Engine]:
    """Another process's connection to the node's database."""
    engine = sa.create_engine(driver_url(database_url, asynchronous=False))
    yield engine
    engine.dispose()


def run(engine: sa.Engine, statement: str) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(statement))


async def items(services: Services) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxItem)) or 0)


async def test_a_block_committed_elsewhere_refuses_the_next_post(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, elsewhere: sa.Engine
) -> None:
    for number in range(3):  # the key known, the verdict remembered
        assert (await deliver(client, note_to_alice(number))).status_code == 202
    run(elsewhere, BLOCK)
    before = await items(services)
    refused = await deliver(client, note_to_alice(3))
    assert refused.status_code == 403
    assert "does not federate" in refused.text
    assert await items(services) == before  # taken out again before the commit
    # A duplicate is refused too, and after the block is lifted the server is heard again.
    assert (await deliver(client, note_to_alice(2))).status_code == 403
    run(elsewhere, "DELETE FROM domain_blocks WHERE domain = 'remote.example'")
    assert (await deliver(client, note_to_alice(4))).status_code == 202
    assert await items(services) == before + 1


async def test_leaving_the_allowlist_elsewhere_refuses_the_next_post(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, elsewhere: sa.Engine
) -> None:
    for number in range(2):
        assert (await deliver(client, note_to_alice(number))).status_code == 202
    run(elsewhere, "DELETE FROM allowed_domains WHERE domain = 'remote.example'")
    assert (await deliver(client, note_to_alice(2))).status_code == 403
    assert (await deliver(client, note_to_alice(3))).status_code == 403  # asked afresh
    run(
        elsewhere,
        "INSERT INTO allowed_domains (domain, created_at) VALUES"
        " ('remote.example', CURRENT_TIMESTAMP)",
    )
    assert (await deliver(client, note_to_alice(4))).status_code == 202


async def outcomes(services: Services) -> list[str | None]:
    async with services.sessions() as session:
        rows = await session.scalars(select(InboxItem.outcome).order_by(InboxItem.received_at))
        return list(rows)


async def test_items_accepted_before_a_block_elsewhere_are_dropped_by_the_worker(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, elsewhere: sa.Engine
) -> None:
    worker = Worker(services.federation)  # shares the inbox's remembered verdicts
    assert (await deliver(client, note_to_alice(0))).status_code == 202
    assert await worker.run_once() >= 1  # the worker remembers a yes too
    for number in (1, 2):
        assert (await deliver(client, note_to_alice(number))).status_code == 202
    run(elsewhere, BLOCK)
    await worker.run_once()
    assert (await outcomes(services))[1:] == [REFUSED_HERE] * 2
    # Lifted elsewhere: the remembered no goes with the generation.
    run(elsewhere, "DELETE FROM domain_blocks WHERE domain = 'remote.example'")
    assert (await deliver(client, note_to_alice(3))).status_code == 202
    await worker.run_once()
    assert (await outcomes(services))[-1] != REFUSED_HERE


async def test_a_lockdown_turned_elsewhere_refuses_the_next_post(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, elsewhere: sa.Engine
) -> None:
    services.federation.mode = FederationMode.OPEN  # remote.example federates unlisted
    run(elsewhere, "DELETE FROM allowed_domains WHERE domain = 'remote.example'")
    worker = Worker(services.federation)
    for number in range(2):  # the key known, the verdict remembered
        assert (await deliver(client, note_to_alice(number))).status_code == 202
    assert await worker.run_once() >= 1
    assert (await deliver(client, note_to_alice(2))).status_code == 202
    # This process still thinks the node open (it follows the switch within a second).
    run(elsewhere, "INSERT INTO node_switches (name, \"on\", changed_at) VALUES"
        " ('lockdown', true, CURRENT_TIMESTAMP)")  # fmt: skip
    assert not services.federation.lockdown
    assert (await deliver(client, note_to_alice(3))).status_code == 403
    await worker.run_once()  # what came before the lockdown is not applied in it
    assert (await outcomes(services))[-1] == REFUSED_HERE
    run(elsewhere, "UPDATE node_switches SET \"on\" = false WHERE name = 'lockdown'")
    assert (await deliver(client, note_to_alice(4))).status_code == 202


async def test_posts_naming_made_up_hosts_leave_a_known_servers_verdict_remembered(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    fed = services.federation
    fed.mode = FederationMode.OPEN  # a made-up host is let in up to its signature
    fed.verdicts.size = 8  # a small memory, which the strangers below would fill three times
    for number in range(2):  # eve's key known, her server's verdict remembered
        assert (await deliver(client, note_to_alice(number))).status_code == 202
    strangers = [f"https://made-up-{number}.example/users/mallory" for number in range(24)]
    for number, stranger in enumerate(strangers):
        activity = note_to_alice(100 + number, actor=stranger, id=f"{stranger}/activities/1")
        if number % 3 == 0:  # unsigned
            refused = await client.post(
                "/users/alice/inbox",
                content=json.dumps(activity),
                headers={"content-type": "application/activity+json"},
            )
        elif number % 3 == 1:  # signed with a key its made-up host does not serve
            refused = await deliver(client, activity, key_id=f"{stranger}#main-key")
        else:  # signed by eve's server, naming an actor elsewhere
            refused = await deliver(client, activity)
        assert refused.status_code == 401
    assert all(fed.verdicts.get(host_of(s), fed.mode) is None for s in strangers)
    assert fed.verdicts.get("remote.example", fed.mode) is not None
    with counted(services) as statements:  # so eve's next POST reads no policy
        assert (await deliver(client, note_to_alice(2))).status_code == 202
    assert [s.split(" ", 3)[:3] for s in statements if not s.startswith("SELECT pg_notify")] == [
        ["INSERT", "INTO", "inbox_items"]
    ]
