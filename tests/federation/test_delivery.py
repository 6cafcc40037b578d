"""Deliveries: the retry policy, what each answer means, and workers that never double up."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content.orm import utcnow
from federation import delivery, signing_process
from federation.context import Federation
from federation.delivery import Delivery
from federation.host_queue import PER_HOST
from federation.hosts import RemoteHost
from federation.transport import Transport, TransportPolicy
from federation.worker import Worker
from moderation.policy import FederationMode
from tests.rig import world

BASE = "https://harbour.test"


def test_the_schedule_backs_off_for_a_week_then_gives_up() -> None:
    week = timedelta(days=7)
    first = delivery.next_attempt(1, age=timedelta(0))
    assert first is not None and timedelta(seconds=8) <= first <= timedelta(seconds=12)
    seventh = delivery.next_attempt(7, age=timedelta(hours=1))
    assert seventh is not None and timedelta(hours=9) < seventh < timedelta(hours=15)
    later = delivery.next_attempt(12, age=timedelta(days=3))
    assert later is not None and timedelta(hours=19) < later < timedelta(hours=29)
    assert delivery.next_attempt(15, age=week) is None


def test_retry_after_is_read_as_seconds_or_a_date_and_capped() -> None:
    assert delivery.retry_after("120") == timedelta(seconds=120)
    in_an_hour = format_datetime(utcnow() + timedelta(hours=1), usegmt=True)
    wait = delivery.retry_after(in_an_hour)
    assert wait is not None and timedelta(minutes=59) < wait <= timedelta(hours=1)
    assert delivery.retry_after("999999") == timedelta(hours=12)
    assert delivery.retry_after("soon") is None


def federation_with(
    sessions: async_sessionmaker[AsyncSession], handler: httpx.MockTransport, hosts: list[str]
) -> Federation:
    """A federation runtime whose test hosts all resolve to a public address (the mock
    answers; the private-address guard stays on)."""
    policy = TransportPolicy(static_hosts={host: "93.184.216.34" for host in hosts})
    return Federation(
        sessions=sessions,
        transport=Transport(policy, user_agent="test", transport=handler),
        base_url=BASE,
        domain="harbour.test",
        mode=FederationMode.OPEN,
    )


@pytest.mark.anyio
@pytest.mark.expect_failures(
    r"^delivery https://(nope|broken|busy|slow)\.test/inbox (failed|retry): "
)
async def test_each_answer_leads_to_its_state(sessions: async_sessionmaker[AsyncSession]) -> None:
    answers = {
        "ok.test": httpx.Response(202),
        "gone.test": httpx.Response(410),
        "nope.test": httpx.Response(404),
        "busy.test": httpx.Response(429, headers={"retry-after": "60"}),
        "broken.test": httpx.Response(500),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        host = request.headers["host"]
        if host == "slow.test":
            raise httpx.ConnectTimeout("no answer", request=request)
        return answers[host]

    hosts = [*answers, "slow.test"]
    fed = federation_with(sessions, httpx.MockTransport(handle), hosts)
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        activity = {"id": f"{BASE}/users/alice#creates/1", "type": "Create"}
        await delivery.enqueue(
            session, activity, alice.id, [f"https://{host}/inbox" for host in hosts]
        )
    assert await Worker(fed).run_once() == len(hosts)
    async with sessions() as session:
        states = {d.host: d for d in await session.scalars(select(Delivery))}
        health = {h.domain: h for h in await session.scalars(select(RemoteHost))}
    assert states["ok.test"].state == "delivered"
    assert states["gone.test"].state == "gone"
    assert states["nope.test"].state == "failed"
    busy = states["busy.test"]
    assert busy.state == "retry"
    assert timedelta(seconds=55) < busy.next_attempt_at - utcnow() <= timedelta(seconds=60)
    assert states["broken.test"].state == "retry"
    assert states["slow.test"].state == "retry" and "timed out" in str(
        states["slow.test"].last_error
    )
    assert health["ok.test"].failures == 0 and health["ok.test"].last_success_at is not None
    assert health["slow.test"].failures == 1
    await fed.transport.aclose()


@pytest.mark.anyio
async def test_enqueue_writes_one_row_per_usable_inbox_with_its_host(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Rows go in as one JSON text: each keeps its inbox and canonical host as given, and
    shares the activity, body and times; an inbox that is no URL, or holds a lone surrogate
    (which `json_each` would store as bytes no read decodes), is left out."""
    activity = {"id": f"{BASE}/users/alice#creates/1", "type": "Create", "content": "Été ✊"}
    inboxes = [
        "https://Server.Test/inbox",
        "https://other.test/users/ana/inbox?x=ü",
        "not a url",
        "https://bad.test/\ud800",
    ]
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        assert await delivery.enqueue(session, activity, alice.id, inboxes) == 2
        given = {"https://third.test/inbox": "third.test"}
        second = {**activity, "id": f"{BASE}/users/alice#creates/2"}
        assert await delivery.enqueue(session, second, alice.id, given) == 1
    async with sessions() as session:
        rows = (await session.scalars(select(Delivery).order_by(Delivery.inbox))).all()
    assert [(row.inbox, row.host) for row in rows] == [
        ("https://Server.Test/inbox", "server.test"),
        ("https://other.test/users/ana/inbox?x=ü", "other.test"),
        ("https://third.test/inbox", "third.test"),
    ]
    assert {row.state for row in rows} == {"queued"}
    assert rows[0].body == rows[1].body and "Été ✊" in rows[0].body
    assert rows[0].created_at == rows[0].next_attempt_at == rows[1].created_at
    assert {row.signer_id for row in rows} == {alice.id}


@pytest.mark.anyio
async def test_concurrent_workers_deliver_each_activity_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    received: Counter[tuple[str, str]] = Counter()

    async def handle(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.001)
        received[(request.headers["host"], request.content.decode())] += 1
        return httpx.Response(202)

    inboxes = [f"https://server{n}.test/inbox" for n in range(30)]
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        for number in range(10):
            activity = {"id": f"{BASE}/users/alice#creates/{number}", "type": "Create"}
            await delivery.enqueue(session, activity, alice.id, inboxes)
    servers = [f"server{n}.test" for n in range(30)]
    workers = [
        Worker(federation_with(sessions, httpx.MockTransport(handle), servers)) for _ in range(3)
    ]

    async def drain(worker: Worker) -> None:
        while await worker.run_once():
            pass

    await asyncio.gather(*(drain(worker) for worker in workers))
    assert len(received) == 300
    assert set(received.values()) == {1}
    async with sessions() as session:
        assert {d.state for d in await session.scalars(select(Delivery))} == {"delivered"}
    for worker in workers:
        await worker.fed.transport.aclose()


@pytest.mark.anyio
async def test_ended_jobs_are_forgotten_after_two_weeks_and_open_ones_never(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    fed = federation_with(sessions, httpx.MockTransport(lambda r: httpx.Response(202)), [])
    long_ago = utcnow() - timedelta(days=15)
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        for n, (state, due) in enumerate(
            [("delivered", long_ago), ("failed", long_ago), ("retry", long_ago),
             ("delivered", utcnow() - timedelta(days=1))]
        ):  # fmt: skip
            session.add(
                Delivery(activity_id=f"{BASE}/a/{n}", inbox=f"https://x{n}.test/inbox",
                         host=f"x{n}.test", signer_id=alice.id, state=state,
                         next_attempt_at=due + timedelta(days=30) if state == "retry" else due)
            )  # fmt: skip
    await Worker(fed).prune()
    async with sessions() as session:
        kept = sorted(d.activity_id for d in await session.scalars(select(Delivery)))
    assert kept == [f"{BASE}/a/2", f"{BASE}/a/3"]  # the open one and the recent one
    await fed.transport.aclose()


@pytest.mark.anyio
@pytest.mark.expect_failures(r"^delivery https://flaky\.test/inbox retry: ")
async def test_a_host_answering_again_is_written_once_a_minute_and_a_failure_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    answer = [202]

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(answer[0])

    fed = federation_with(sessions, httpx.MockTransport(handle), ["flaky.test"])
    worker = Worker(fed)
    async with sessions() as session:
        alice = await world.local_member(session, "alice", base_url=BASE)
        await session.commit()

    async def deliver(number: int, status: int) -> RemoteHost:
        answer[0] = status
        async with sessions() as session, session.begin():
            activity = {"id": f"{BASE}/users/alice#creates/{number}", "type": "Create"}
            await delivery.enqueue(session, activity, alice.id, ["https://flaky.test/inbox"])
        assert await worker.run_once() == 1
        async with sessions() as session:
            host = await session.get(RemoteHost, "flaky.test")
            assert host is not None
            return host

    first = await deliver(1, 202)
    assert first.failures == 0 and first.last_success_at is not None
    again = await deliver(2, 202)  # within the minute: the row is not written again
    assert again.last_success_at == first.last_success_at
    assert (await deliver(3, 500)).failures == 1  # a failure is written at once
    back = await deliver(4, 202)  # and the answer after it too: reachable again
    assert back.failures == 0 and back.last_success_at != first.last_success_at
    await fed.transport.aclose()


async def queue_for_busy_host(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    """alice's `count` Creates, each queued for busy.test's inbox."""
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        for number in range(count):
            activity = {"id": f"{BASE}/users/alice#creates/{number}", "type": "Create"}
            await delivery.enqueue(session, activity, alice.id, ["https://busy.test/inbox"])


@pytest.mark.anyio
async def test_a_host_gets_its_deliveries_at_most_per_host_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    in_flight, most, got = [0], [0], []

    async def handle(request: httpx.Request) -> httpx.Response:
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        await asyncio.sleep(0.01)
        got.append(request.content)
        in_flight[0] -= 1
        return httpx.Response(202)

    fed = federation_with(sessions, httpx.MockTransport(handle), ["busy.test"])
    await queue_for_busy_host(sessions, 3 * PER_HOST + 1)
    assert await Worker(fed).run_once() == 3 * PER_HOST + 1
    assert most[0] == PER_HOST
    assert len(set(got)) == 3 * PER_HOST + 1  # each activity once
    async with sessions() as session:
        assert {d.state for d in await session.scalars(select(Delivery))} == {"delivered"}
    await fed.transport.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("answer", [202, 500])
async def test_a_host_whose_claim_was_taken_over_gets_no_more_from_the_first_worker(
    sessions: async_sessionmaker[AsyncSession], answer: int
) -> None:
    """A worker paused past its lease (a VM whose clock did not count the pause) finds, as
    it records its first sends, that another worker claimed the host's deliveries meanwhile:
    it sends no more of them (it sent the whole queue, and so did the other worker), whether
    the host took them or failed them (a failed send's record did not check: attack8)."""
    got: list[bytes] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        if not got:  # the other worker's claim lands while the first sends are out
            async with sessions() as session, session.begin():
                await session.execute(update(Delivery).values(claim="w00000002taken"))
        await asyncio.sleep(0.01)
        got.append(request.content)
        return httpx.Response(answer)

    fed = federation_with(sessions, httpx.MockTransport(handle), ["busy.test"])
    await queue_for_busy_host(sessions, 3 * PER_HOST + 1)
    await Worker(fed).run_once()
    assert len(got) == PER_HOST  # those in flight as the claim was taken
    async with sessions() as session:
        rows = (await session.execute(select(Delivery.state, Delivery.claim))).all()
    assert {tuple(row) for row in rows} == {("queued", "w00000002taken")}
    await fed.transport.aclose()


@pytest.mark.anyio
@pytest.mark.expect_failures(r"harbour.signing: the signing process ended with \d+ requests$")
async def test_deliveries_held_by_a_signing_process_that_crashed_are_signed_on_the_loop(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signing_process, "SEPARATE", True)  # also on a one-core machine
    monkeypatch.setattr(signing_process, "RESTART", 0.0)
    monkeypatch.setattr(signing_process, "BURST", 1)  # the first request starts it
    received: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        assert "signature" in request.headers
        received.append(request.headers["host"])
        return httpx.Response(202)

    hosts = [f"server{n}.test" for n in range(4)]
    fed = federation_with(sessions, httpx.MockTransport(handle), hosts)
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        for number in range(2):
            activity = {"id": f"{BASE}/users/alice#creates/{number}", "type": "Create"}
            await delivery.enqueue(session, activity, alice.id, [f"https://{hosts[0]}/inbox"])
    assert await Worker(fed).run_once() == 2  # signed on the loop: the process starts
    assert received == [hosts[0]] * 2
    while not fed.transport._signing.ready:
        await asyncio.sleep(0.01)
    signer = fed.transport._signing.pid
    assert signer is not None
    async with sessions() as session, session.begin():
        activity = {"id": f"{BASE}/users/alice#creates/2", "type": "Create"}
        await delivery.enqueue(session, activity, alice.id, [f"https://{h}/inbox" for h in hosts])
    os.kill(signer, signal.SIGSTOP)  # it takes the requests, and stops before signing them
    sending = asyncio.create_task(Worker(fed).run_once())
    while fed.transport._signing.held < 4:
        await asyncio.sleep(0.01)
    os.kill(signer, signal.SIGKILL)  # a crash
    assert await sending == 4
    assert sorted(received[2:]) == hosts  # signed on the loop instead, at once
    async with sessions() as session:
        states = Counter(d.state for d in await session.scalars(select(Delivery)))
        assert states == {"delivered": 6}
    await fed.transport.aclose()
