"""An account's suspension stops what is going out to her own inbox (`policy_recheck`), with
real processes: a node (SQLite, its worker in the same process) sends a member's posts queued
for one remote account's inbox on a slow server, and a moderator suspends her through the
admin API while they go out. Before, every delivery already queued went to her all the same
(their addressing had read her as not suspended); now the sends stop within about a second
of the suspension, the rest ends refused, and her follow's Reject, which the suspension
queues, still goes to her."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from activitypub.actors import Actor, PublicKey
from content import accounts, relationships
from federation import delivery, jobs
from federation.host_queue import PER_HOST
from federation.policy_recheck import RECHECK_SECONDS
from tests.rig.keys import keypair_for_tests
from tests.rig.nodes import NodeProcess, read_database, wait_for
from tests.scenarios.test_block_stops_a_queue import RATE, Arrivals
from tests.scenarios.test_block_stops_a_queue import node as node  # the fixture
from tests.scenarios.test_block_stops_a_queue import server as server  # the fixture
from tests.scenarios.test_several_processes import job_states
from tests.scenarios.test_suspended_remote_follows import ADMIN, with_the_api

pytestmark = pytest.mark.processes
QUEUED = 200
SUSPEND_AT = 12  # arrived when the moderator suspends her


def queue_posts_to_her(node: NodeProcess, host: str) -> int:
    """mallory of `host`, who follows alice, is queued QUEUED of alice's posts; her id."""
    uri = f"http://{host}/users/mallory"

    async def queue(session: AsyncSession) -> int:
        key = PublicKey(id=f"{uri}#main-key", owner=uri, pem=keypair_for_tests(3).public_pem)
        actor = Actor(uri, ActorType.PERSON, "mallory", f"{uri}/inbox", None, key)
        mallory = await accounts.upsert_remote(session, actor, host)
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        await relationships.add_follow(session, mallory, alice, uri=f"{uri}/f/1", accepted=True)
        for number in range(QUEUED):
            post = f"{alice.uri}/statuses/{number}"
            create = {"id": f"{post}/activity", "type": "Create", "actor": alice.uri, "to": [uri]}
            await delivery.enqueue(session, create, alice.id, [actor.inbox])
        await session.commit()
        return mallory.id

    return read_database(node, queue)


def test_an_account_suspended_while_her_queue_goes_out_gets_no_more_of_it(
    node: NodeProcess, server: tuple[str, Arrivals]
) -> None:
    host, arrivals = server
    password = node.create_member("mo")
    assert node.run("admin", "grant", "mo", "--role", "moderator").returncode == 0
    token = node.app_token("mo", password, ADMIN)
    mallory = queue_posts_to_her(node, host)
    wait_for(lambda: arrivals.count >= SUSPEND_AT, what="the queue going out")
    with_the_api(node, None, token, str(mallory), "suspend")  # type: ignore[arg-type]
    at_suspension = arrivals.count  # committed: from here, a second's sends at most
    wait_for(
        lambda: not set(job_states(node, "deliveries")) & set(jobs.OPEN_STATES),
        what="every delivery ended",
    )
    after = arrivals.count - at_suspension - 1  # her follow's Reject goes
    assert after <= PER_HOST + RATE * (RECHECK_SECONDS + 0.5), f"{after} arrived after it"
    assert job_states(node, "deliveries") == {
        "delivered": arrivals.count,
        "refused": QUEUED - (arrivals.count - 1),
    }
