"""A report made on node B about a post from node A reaches A's moderation queue as a Flag,
without the reporter's identity."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from moderation import reports
from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess, read_database, wait_for

pytestmark = pytest.mark.processes


Queued = tuple[str | None, str, list[str], str, str | None]


def queue(node: NodeProcess) -> list[Queued]:
    """(origin, reported account, post ids, comment, reporter) of the node's open reports,
    read from its database."""

    async def read(session: AsyncSession) -> list[Queued]:
        found = []
        for report in await reports.open_reports(session):
            target = await session.get(Account, report.target_id)
            assert target is not None
            uris = reports.reported_post_uris(report)
            sender = await session.get(Account, report.reporter_id) if report.reporter_id else None
            reporter = sender.uri if sender else None
            found.append((report.origin_domain, target.username, uris, report.comment, reporter))
        return found

    return read_database(node, read)


@pytest.mark.fleet(size=2)
def test_a_report_from_b_reaches_as_queue_as_an_anonymous_flag(fleet: list[NodeProcess]) -> None:
    a, b = fleet
    alice = client(a, "alice", a.create_member("alice"))
    bob = client(b, "bob", b.create_member("bob"))
    [alice_at_b] = bob.search_v2(f"@alice@{a.domain}", resolve=True).accounts
    bob.account_follow(alice_at_b.id)
    wait_for(lambda: len(alice.follow_requests()) == 1, what="bob's request at A")
    alice.follow_request_authorize(alice.follow_requests()[0].id)
    wait_for(lambda: bob.account_relationships(alice_at_b.id)[0].following, what="the Accept")
    posted = alice.status_post("a post someone on B will report", visibility="public")
    wait_for(lambda: len(bob.timeline_home()) == 1, what="alice's post at B")
    [seen_at_b] = bob.timeline_home()
    assert seen_at_b.uri == posted.uri

    report = bob.report(alice_at_b.id, [seen_at_b.id], "targeted harassment", forward=True)
    assert report.target_account.id == alice_at_b.id

    wait_for(lambda: len(queue(a)) == 1, what="the Flag in A's queue")
    # Sent by B's instance actor: nothing at A says that bob reported.
    instance_b = f"{b.base_url}/actor"
    assert queue(a) == [(b.domain, "alice", [posted.uri], "targeted harassment", instance_b)]
