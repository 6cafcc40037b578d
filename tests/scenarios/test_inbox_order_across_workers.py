"""Two `harbour worker` processes on one PostgreSQL database apply one server's inbox items
in the order they arrived: a claim never takes a host's items while another worker holds
some (`inbox_apply.hosts_free`). Before, one worker took a batch of notes and the other the
batch of their Deletes, applied them first (nothing to delete yet), and the notes stayed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from activitypub.actors import Actor, PublicKey
from activitypub.hostnames import host_of
from content import accounts
from content.orm import utcnow
from content.posts import Post
from federation import jobs
from federation.inbox import InboxItem
from federation.worker import INBOX_BATCH_POSTGRES as BATCH
from tests.rig.databases import PostgresDatabases
from tests.rig.keys import keypair_for_tests
from tests.rig.nodes import Replica, free_port, read_database, wait_for
from tests.rig.signing import mention
from tests.scenarios.test_several_processes import job_states

pytestmark = pytest.mark.processes
EVE = "https://remote.example/users/eve"
ROUNDS = 2  # blocks of BATCH notes (one claim each), each followed by their Deletes


@pytest.fixture
def node(postgresql_databases: PostgresDatabases, tmp_path: Path) -> Iterator[list[Replica]]:
    """A web process (it sets the database up) and two workers on one database."""
    url, public = postgresql_databases.create(), free_port()

    def process(*command: str) -> Replica:
        replica = Replica(free_port(), tmp_path, url, public_port=public, command=command)
        replica.extra_env["HARBOUR_FEDERATION_MODE"] = "open"
        return replica

    web = process("serve", "--no-worker")
    web.port = public
    processes = [web, process("worker"), process("worker")]
    web.start()
    for worker in processes[1:]:
        worker.launch()
    for worker in processes[1:]:
        wait_for(lambda worker=worker: "is running" in worker.output(), what="the workers")
    yield processes
    for each in processes:
        each.stop()
    postgresql_databases.drop(url)


async def known_eve(session: AsyncSession, uri: str = EVE) -> accounts.Account:
    """eve (of remote.example unless `uri` says otherwise), her key stored (nothing is
    fetched), flushed."""
    key = PublicKey(id=f"{uri}#main-key", owner=uri, pem=keypair_for_tests(3).public_pem)
    actor = Actor(uri, ActorType.PERSON, "eve", f"{uri}/inbox", None, key)
    eve = await accounts.upsert_remote(session, actor, host_of(uri))
    await session.flush()
    return eve


def create(number: int, sam: str) -> dict[str, object]:
    return mention(EVE, number, sam)


def delete(number: int) -> dict[str, object]:
    note = f"{EVE}/statuses/{number}"
    return {"id": f"{note}#delete", "type": "Delete", "actor": EVE, "object": note}


def items_in_order(sam: str) -> list[dict[str, object]]:
    """Blocks of BATCH notes, each followed by the block of their Deletes."""
    found: list[dict[str, object]] = []
    for block in range(ROUNDS):
        numbers = range(block * BATCH, (block + 1) * BATCH)
        found += [create(n, sam) for n in numbers] + [delete(n) for n in numbers]
    return found


async def arrive_in_order(session: AsyncSession, sam: str) -> None:
    """`items_in_order` as eve's inbox items, due in that order, announced, committed."""
    await arrive(session, await known_eve(session), items_in_order(sam))


async def arrive(
    session: AsyncSession, actor: accounts.Account, activities: list[dict[str, object]]
) -> None:
    """The activities as the actor's inbox items, due in that order, announced, committed."""
    due = utcnow() - timedelta(minutes=1)
    for number, activity in enumerate(activities):
        session.add(
            InboxItem(
                activity_id=str(activity["id"]),
                activity_type=str(activity["type"]),
                actor_id=actor.id,
                body=json.dumps(activity),
                next_attempt_at=due + timedelta(milliseconds=number),  # the arrival order
            )
        )
    await jobs.announce(session)  # both workers wake at the commit
    await session.commit()


def test_two_workers_apply_a_hosts_notes_and_their_deletes_in_order(
    node: list[Replica],
) -> None:
    web = node[0]
    web.create_member("sam")
    sam = f"{web.base_url}/users/sam"

    read_database(web, lambda session: arrive_in_order(session, sam))
    wait_for(
        lambda: not {"queued", "retry"} & set(job_states(web, "inbox_items")),
        what="every item applied",
    )

    async def kept(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(Post)) or 0)

    time.sleep(0.2)
    assert read_database(web, kept) == 0
    assert job_states(web, "inbox_items")["applied"] == 2 * BATCH * ROUNDS
