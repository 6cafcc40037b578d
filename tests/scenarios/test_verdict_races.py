"""A hostile server's signed POSTs racing a block on real node processes (issue 18: the inbox
remembers its verdicts): every POST sent after the block command returned is refused,
whichever way the block is made, on SQLite and on PostgreSQL, and nothing the server sent
after the block is applied."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from federation.inbox import InboxItem
from tests.rig.nodes import NodeProcess, loopback_client, read_database, settle
from tests.rig.signing import signed_post
from tests.scenarios import test_several_processes as several

pytestmark = pytest.mark.processes
node_s = several.node_s  # one node as four processes on PostgreSQL
SENDERS = 6
# Seconds each sender waits between POSTs: up to 200 a second in all, under the inbox's
# rate limit (100 a second after a burst of 3,000) for the 20 s of the longest flood.
# Unpaced, a flood took every CPU it could (~8 CPU-s a test here).
PACE = 0.03


@dataclass(frozen=True)
class Sent:
    started: float
    ended: float
    status: int
    activity_id: str


def key_of(node: NodeProcess, username: str) -> tuple[str, str, str]:
    """The actor URI, key id and private key of a member of `node`."""

    async def read(session: AsyncSession) -> tuple[str, str, str]:
        account = await session.scalar(select(Account).where(Account.username == username))
        assert account is not None and account.private_key_pem is not None
        return account.uri, account.key_id, account.private_key_pem

    return read_database(node, read)


def flood(
    target: NodeProcess,
    hank: tuple[str, str, str],
    stop: threading.Event,
    number: int,
    accepted: threading.Event | None = None,
) -> list[Sent]:
    """Signed Likes from hank (his `key_of`) to the target's inbox until `stop`, PACE
    seconds apart; `accepted` is set once one is answered 202."""
    sent: list[Sent] = []
    with loopback_client(base_url=f"http://127.0.0.1:{target.port}", timeout=30) as http:
        n = 0
        while not stop.is_set():
            n += 1
            sent.append(like(http, target, hank, f"{number}-{n}"))
            if accepted is not None and sent[-1].status == 202:
                accepted.set()
            stop.wait(PACE)
    return sent


def like(http: httpx.Client, target: NodeProcess, key: tuple[str, str, str], label: str) -> Sent:
    """One signed Like from the member whose `key_of` is `key` to tina at the target."""
    actor, key_id, pem = key
    activity_id = f"{actor}/likes/{label}"
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id,
        "type": "Like",
        "actor": actor,
        "object": f"{target.base_url}/users/tina",
    }
    headers, body = signed_post(
        "/inbox", activity, host=target.domain, key_id=key_id, private_pem=pem
    )
    started = time.monotonic()
    status = http.post("/inbox", content=body, headers=headers).status_code
    return Sent(started, time.monotonic(), status, activity_id)


def applied_ids(node: NodeProcess) -> dict[str, str]:
    """The activity ids in the node's inbox, and how each ended."""

    async def read(session: AsyncSession) -> dict[str, str]:
        rows = await session.execute(select(InboxItem.activity_id, InboxItem.state))
        return {activity_id: state for activity_id, state in rows}

    return read_database(node, read)


def race(target: NodeProcess, sender: NodeProcess, block: Callable[[], None]) -> None:
    target.create_member("tina")
    sender.create_member("hank")
    hank = key_of(sender, "hank")  # read once, not through a new connection each POST
    with loopback_client(base_url=f"http://127.0.0.1:{target.port}", timeout=30) as http:
        # hank's key fetched first (seconds on a loaded machine), so POSTs flow before the block
        assert like(http, target, hank, "first").status == 202
    stop, accepted = threading.Event(), threading.Event()
    with ThreadPoolExecutor(SENDERS) as pool:
        floods = [pool.submit(flood, target, hank, stop, n, accepted) for n in range(SENDERS)]
        # The verdict remembered and items flowing: on a loaded machine the flood's first
        # answers took over 2 s, and a block made before them left none to compare.
        assert accepted.wait(60)
        time.sleep(0.5)
        block()
        blocked_at = time.monotonic()
        time.sleep(2.0)
        stop.set()
        sent = [s for f in floods for s in f.result()]
    before = [s for s in sent if s.ended < blocked_at]
    after = [s for s in sent if s.started > blocked_at]
    # Some were let in first, so the verdict was remembered when the block came (how
    # many depends on the machine's load).
    assert any(s.status == 202 for s in before), [s.status for s in before][:20]
    assert after and {s.status for s in after} == {403}, sorted({s.status for s in after})
    settle(target)
    states = applied_ids(target)
    late = [s.activity_id for s in after if s.activity_id in states]
    assert late == []  # nothing stored from after the block


@pytest.mark.fleet(size=2)
@pytest.mark.parametrize(
    ("target_index", "command"),
    [(0, ("domain", "block", "SENDER")), (1, ("lockdown", "on"))],
    ids=["sqlite-block", "postgresql-lockdown"],  # each also on the other database in process
)
def test_posts_racing_a_block_or_a_lockdown_are_refused_after_it(
    fleet: list[NodeProcess], target_index: int, command: tuple[str, ...]
) -> None:
    """The block or the lockdown is made by the CLI, in a process of its own."""
    target, sender = fleet[target_index], fleet[1 - target_index]

    def shut_out() -> None:
        done = target.run(*(sender.name if a == "SENDER" else a for a in command), process=True)
        assert done.returncode == 0, done.stderr

    race(target, sender, shut_out)


@pytest.mark.parametrize("command", [("domain", "block", "SENDER"), ("lockdown", "on")])
def test_two_web_processes_and_two_workers_hold_a_block_or_a_lockdown_at_once(
    node_s: several.NodeS, command: tuple[str, ...]
) -> None:
    """On PostgreSQL, one node as four processes: the POSTs go to the second web process,
    the CLI writes beside them, two worker processes apply what was accepted."""
    target, sender = node_s.webs[1], node_s.peer

    def shut_out() -> None:
        done = target.run(*(sender.name if a == "SENDER" else a for a in command), process=True)
        assert done.returncode == 0, done.stderr

    race(target, sender, shut_out)
