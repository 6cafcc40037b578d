"""An activity's body is stored once for all its deliveries (`delivery_bodies`): deliveries
queued before the upgrade keep theirs, bodies go once no delivery needs them, and a
confidential signer's body goes as soon as its deliveries end."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest
from alembic import command
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from content.orm import utcnow
from federation import delivery
from federation.delivery import Delivery, DeliveryBody
from federation.worker import Worker
from node.database import alembic_config, create_sessionmaker, driver_url
from node.database import create_engine as create_async_engine
from tests.federation.test_delivery import federation_with
from tests.rig import world
from tests.rig.databases import PostgresDatabases

BASE = "https://harbour.test"
HOSTS = [f"s{n}.test" for n in range(5)]


@pytest.mark.anyio
async def test_deliveries_queued_before_the_upgrade_keep_their_bodies(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
    config = alembic_config(database_url)
    command.downgrade(config, "0065")
    engine = create_engine(driver_url(database_url, asynchronous=False))
    now = utcnow()
    row = text(
        "INSERT INTO deliveries (id, activity_id, inbox, host, body, signer_id, created_at,"
        " state, attempts, next_attempt_at) VALUES (:id, :activity, :inbox, :host, :body,"
        " :signer, :now, :state, 0, :now)"
    )
    with engine.begin() as connection:
        rows = [
            (10, "a/1", "x", '{"n":1}', "queued"),
            (11, "a/1", "y", '{"n":1}', "queued"),
            (12, "a/2", "x", '{"n":2}', "delivered"),
            (13, "a/3", "x", "", "delivered"),  # a confidential body already forgotten
        ]
        for number, activity, host, body, state in rows:
            connection.execute(
                row,
                {"id": number, "activity": f"{BASE}/{activity}", "inbox": f"https://{host}/inbox"}
                | {"host": host, "body": body, "signer": alice.id, "now": now, "state": state},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        bodies = dict(connection.execute(text("SELECT id, body FROM delivery_bodies")).all())
        refers = dict(connection.execute(text("SELECT id, body_id FROM deliveries")).all())
    assert bodies == {10: '{"n":1}', 12: '{"n":2}'}  # stored once each
    assert refers == {10: 10, 11: 10, 12: 12, 13: None}
    command.downgrade(config, "0065")
    with engine.connect() as connection:
        back = dict(connection.execute(text("SELECT id, body FROM deliveries")).all())
    assert back == {10: '{"n":1}', 11: '{"n":1}', 12: '{"n":2}', 13: ""}
    command.upgrade(config, "head")
    engine.dispose()


@pytest.mark.anyio
async def test_a_body_is_stored_once_and_goes_with_its_last_delivery(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    fed = federation_with(sessions, httpx.MockTransport(lambda r: httpx.Response(202)), HOSTS)
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        activity = {"id": f"{BASE}/a/1", "type": "Create", "actor": alice.uri}
        inboxes = [f"https://s{n}.test/inbox" for n in range(5)]
        assert await delivery.enqueue(session, activity, alice.id, inboxes) == 5
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DeliveryBody)) == 1
    while await Worker(fed).run_once():
        pass
    async with sessions() as session:
        sent = (await session.scalars(select(Delivery))).all()
        assert {row.state for row in sent} == {"delivered"}
        assert {json.loads(row.body)["id"] for row in sent} == {activity["id"]}
    async with sessions() as session, session.begin():  # two weeks on, they are pruned
        await session.execute(
            Delivery.__table__.update().values(next_attempt_at=utcnow() - timedelta(days=15))
        )
    await Worker(fed).prune()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert await session.scalar(select(func.count()).select_from(DeliveryBody)) == 0
    await fed.transport.aclose()


async def report_to(sessions: async_sessionmaker[AsyncSession], hosts: list[str]) -> int:
    """The instance actor's report queued for `hosts`; the actor's id."""
    async with sessions() as session, session.begin():
        actor = await world.local_member(session, "relay", base_url=BASE)
        actor.actor_type = ActorType.APPLICATION
        activity = {"id": f"{BASE}/a/told", "type": "Flag", "actor": actor.uri}
        inboxes = [f"https://{host}/inbox" for host in hosts]
        assert await delivery.enqueue(session, activity, actor.id, inboxes) == len(hosts)
        return actor.id


@pytest.mark.anyio
async def test_what_the_instance_actor_sent_keeps_no_body_once_delivered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    answers = {"gone.test": 410, "fine.test": 202}
    transport = httpx.MockTransport(lambda r: httpx.Response(answers[r.headers["host"]]))
    fed = federation_with(sessions, transport, list(answers))
    await report_to(sessions, list(answers))
    while await Worker(fed).run_once():
        pass
    async with sessions() as session:
        ended = {row.host: (row.state, row.body) for row in await session.scalars(select(Delivery))}
        assert ended == {"gone.test": ("gone", ""), "fine.test": ("delivered", "")}
        assert await session.scalar(select(func.count()).select_from(DeliveryBody)) == 0
    await fed.transport.aclose()


@pytest.mark.anyio
async def test_the_upgrade_is_linear_in_an_activitys_deliveries(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """8,000 deliveries of one post (a fan-out to 8,000 servers kept its 14 days): the
    upgrade found each one's body among its activity's deliveries, comparing each with every
    other (57 s on SQLite, 28 s on PostgreSQL, 4x for each 2x); now in a table of bodies
    keyed by activity, well under a second."""
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
    config = alembic_config(database_url)
    command.downgrade(config, "0065")
    engine = create_engine(driver_url(database_url, asynchronous=False))
    now, body = utcnow(), json.dumps({"content": "x" * 1500})
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO deliveries (id, activity_id, inbox, host, body, signer_id,"
                " created_at, state, attempts, next_attempt_at) VALUES (:id, :activity,"
                " :inbox, :host, :body, :signer, :now, 'delivered', 1, :now)"
            ),
            [
                {"id": n, "activity": f"{BASE}/a/1", "inbox": f"https://s{n}.test/inbox"}
                | {"host": f"s{n}.test", "body": body, "signer": alice.id, "now": now}
                for n in range(1, 8001)
            ],
        )
    started = time.perf_counter()
    command.upgrade(config, "head")
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        refers = connection.execute(text("SELECT DISTINCT body_id FROM deliveries")).all()
    engine.dispose()
    assert refers == [(1,)]
    assert seconds < 8, f"the upgrade took {seconds:.1f} s"


@pytest.mark.anyio
async def test_two_workers_ending_a_confidential_bodys_last_deliveries_at_once_drop_it(
    postgresql_databases: PostgresDatabases,
) -> None:
    """Two workers (two PostgreSQL connections) each end one of the instance actor's last
    two deliveries of a report, in transactions open at the same time: each saw the other's
    delivery still open, and the report's words stayed until the hourly prune. Now the
    later one to commit drops the body."""
    url = postgresql_databases.create()
    engine = create_async_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        actor = await report_to(sessions, ["one.test", "two.test"])
        workers = [sessions(), sessions()]
        held = [
            await delivery.claim(session, 1, Delivery.host == host)
            for session, host in zip(workers, ("one.test", "two.test"), strict=True)
        ]
        for session, claimed in zip(workers, held, strict=True):  # both open at once
            await delivery.end_held(session, claimed, {actor}, "delivered")
        for session in workers:
            await session.commit()
            await delivery.drop_forgotten(session)
            await session.close()
        async with sessions() as session:
            ended = (await session.scalars(select(Delivery))).all()
            assert {(row.state, row.body) for row in ended} == {("delivered", "")}
            assert await session.scalar(select(func.count()).select_from(DeliveryBody)) == 0
    finally:
        await engine.dispose()
        postgresql_databases.drop(url)
