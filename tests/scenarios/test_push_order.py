"""Web Push on a real node on PostgreSQL, when notifications commit out of the order of their
ids: a notification's id is taken when its row is written, and its transaction may commit
after another's, whose id is higher (a boost that queues deliveries to a follower's server
writes its notification first, then the deliveries, and waits there while another
transaction holds `delivery_bodies`). The pusher kept one mark per subscription, the highest
id it had seen, and a notification that committed below it was never pushed: the member's
phone stayed silent about it, while the app listed it (found by attack3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from activitypub.actors import Actor, PublicKey
from content import accounts, relationships
from content.accounts import Account
from federation import push
from tests.clients.test_mastodon_py import client
from tests.clients.test_push import PushService, push_service
from tests.rig.databases import PostgresDatabases
from tests.rig.keys import keypair_for_tests
from tests.rig.nodes import NodeProcess, free_port, read_database, wait_for
from tests.scenarios import test_several_processes as several

pytestmark = pytest.mark.processes
node_s = several.node_s  # one node as four processes on PostgreSQL
__all__ = ["push_service"]  # the push tests' loopback push service, a fixture here too


@pytest.fixture
def services() -> Iterator[tuple[PushService, PushService]]:
    """A push service for alice's phone, and eve's server (it takes whatever it is sent)."""
    made = (PushService(), PushService())
    yield made
    for service in made:
        service.server.shutdown()
        service.server.server_close()


@pytest.fixture
def node(postgresql_databases: PostgresDatabases, tmp_path: Path) -> Iterator[NodeProcess]:
    url = postgresql_databases.create()
    harbour = NodeProcess(port=free_port(), data_dir=tmp_path / "n", database_url=url)
    harbour.extra_env["HARBOUR_FEDERATION_MODE"] = "open"  # bob's boost goes to eve's server
    harbour.start()
    yield harbour
    harbour.stop()
    postgresql_databases.drop(url)


def eve_follows(node: NodeProcess, server: PushService, username: str) -> None:
    """eve, of a server on loopback, follows the member: the member's boosts go there."""
    eve = f"{server.origin}/users/eve"

    async def follow(session: AsyncSession) -> None:
        key = PublicKey(id=f"{eve}#main-key", owner=eve, pem=keypair_for_tests(3).public_pem)
        actor = Actor(eve, ActorType.PERSON, "eve", f"{eve}/inbox", None, key)
        remote = await accounts.upsert_remote(session, actor, server.origin.split("//")[1])
        member = await session.scalar(select(Account).where(Account.username == username))
        assert member is not None
        await relationships.add_follow(session, remote, member, uri=f"{eve}/f/1", accepted=True)
        await session.commit()

    read_database(node, follow)


def waiting_on_locks(conninfo: str) -> list[str]:
    """The statements of the node that wait for a lock."""
    with psycopg.connect(conninfo, autocommit=True) as watcher:
        found = watcher.execute(
            "SELECT query FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchall()
    return [str(query) for (query,) in found]


def boost_waiting(conninfo: str) -> bool:
    """Whether bob's boost waits to store its activity's body."""
    return any(q.startswith("INSERT INTO delivery_bodies") for q in waiting_on_locks(conninfo))


def test_a_notification_committed_after_a_later_one_is_pushed_too(
    node: NodeProcess, services: tuple[PushService, PushService]
) -> None:
    phone, eves_server = services
    alice = client(node, "alice", node.create_member("alice"), ["read", "write", "push"])
    bob = client(node, "bob", node.create_member("bob"))
    carol = client(node, "carol", node.create_member("carol"))
    eve_follows(node, eves_server, "bob")
    earlier = alice.status_post("Who has the key to the drop-in?")
    bob.status_favourite(earlier.id)  # before her phone subscribed: never pushed
    _, public = alice.push_subscription_generate_keys()
    alice.push_subscription_set(
        f"{phone.origin}/push/alice",
        public,
        favourite_events=True,
        reblog_events=True,
        mention_events=False,
        follow_events=False,
    )
    # The worker's first pass prunes, bodies too, before it pushes: held up by the lock
    # below, it pushed nothing (a CI run, where the test got there within a second of start).
    carol.status_favourite(earlier.id)
    wait_for(lambda: len(phone.received) == 1, what="carol's first favourite, pushed")
    posted = alice.status_post("The clinic is open late on Thursday")
    conninfo = make_url(node.database_url).set(drivername="postgresql")
    conninfo_text = conninfo.render_as_string(hide_password=False)

    # Another transaction holds delivery_bodies a while (as a big fan-out's would): bob's
    # boost writes its notification, then waits to queue its delivery to eve's server.
    boosted = threading.Thread(target=bob.status_reblog, args=(posted.id,))
    with psycopg.connect(conninfo_text) as holder:
        holder.execute("LOCK TABLE delivery_bodies IN SHARE MODE")
        boosted.start()
        wait_for(lambda: boost_waiting(conninfo_text), what="bob's boost waiting")
        carol.status_favourite(posted.id)  # a later id, committed first
        wait_for(lambda: len(phone.received) == 2, what="carol's favourite, pushed")
        holder.commit()
    boosted.join(timeout=30)
    wait_for(lambda: len(alice.notifications()) == 4, what="all in alice's app")
    wait_for(lambda: len(eves_server.received) == 1, what="the boost at eve's server")
    # A pass of the worker comes at least every second: well within this.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(phone.received) < 3:
        time.sleep(0.2)
    assert len(phone.received) == 3, "bob's boost was never pushed to alice's phone"
    time.sleep(push.LATE_EVERY + 2)  # a look for late ones came: it takes nothing older
    assert len(phone.received) == 3, "a notification from before the subscription was pushed"


def test_two_workers_push_a_notification_once(
    node_s: several.NodeS, push_service: PushService
) -> None:
    """On PostgreSQL, one node as two web processes and two workers: both workers' passes
    queue what is new at once (here they meet at the insert of the messages, which another
    transaction holds up a moment), and the phone gets each notification once."""
    web, phone = node_s.webs[1], push_service
    alice = client(web, "alice", web.create_member("alice"), ["read", "write", "push"])
    bob = client(web, "bob", web.create_member("bob"))
    _, public = alice.push_subscription_generate_keys()
    alice.push_subscription_set(f"{phone.origin}/push/alice", public, mention_events=True)
    conninfo = make_url(web.database_url).set(drivername="postgresql")
    conninfo_text = conninfo.render_as_string(hide_password=False)
    with psycopg.connect(conninfo_text) as holder:
        holder.execute("LOCK TABLE push_messages IN SHARE MODE")
        bob.status_post("@alice the van is at the corner of Dock Street")
        wait_for(lambda: len(waiting_on_locks(conninfo_text)) == 2, what="both workers queueing")
        holder.commit()
    wait_for(lambda: len(phone.received) >= 1, what="the mention, pushed")
    time.sleep(5)  # a second message would be sent at once
    assert len(phone.received) == 1, "the mention was pushed twice"
