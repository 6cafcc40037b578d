"""Member safety and personal lists through Mastodon.py, against real Harbour nodes."""

from __future__ import annotations

import pytest
from mastodon import Mastodon
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from moderation import reports
from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess, read_database, wait_for

pytestmark = pytest.mark.processes


def befriend(node: NodeProcess) -> tuple[Mastodon, Mastodon]:
    """alice and bob on one node, each following the other."""
    alice = client(node, "alice", node.create_member("alice"))
    bob = client(node, "bob", node.create_member("bob"))
    alice_id = alice.me().id
    bob_id = bob.me().id
    alice.account_follow(bob_id)
    bob.account_follow(alice_id)
    alice.follow_request_authorize(bob_id)
    bob.follow_request_authorize(alice_id)
    return alice, bob


def queued_reports(node: NodeProcess) -> list[tuple[str, str, str]]:
    """(reporter, reported, comment) of the open reports, read from the node's database."""

    async def read(session: AsyncSession) -> list[tuple[str, str, str]]:
        found = []
        for report in await reports.open_reports(session):
            reporter = await session.get(Account, report.reporter_id)
            target = await session.get(Account, report.target_id)
            assert reporter is not None and target is not None
            found.append((reporter.username, target.username, report.comment))
        return found

    return read_database(node, read)


def test_mute_hides_a_followed_account_and_block_answers_blocking(node: NodeProcess) -> None:
    alice, bob = befriend(node)
    bob_id = bob.me().id
    bob.status_post("bob's news")
    assert [s.content for s in alice.timeline_home()] == ["<p>bob's news</p>"]

    relation = alice.account_mute(bob_id, notifications=False, duration=3600)
    assert (relation.muting, relation.muting_notifications) == (True, False)
    assert alice.timeline_home() == []
    assert [a.id for a in alice.mutes()] == [bob_id]
    alice.account_unmute(bob_id)
    assert len(alice.timeline_home()) == 1

    blocked = alice.account_block(bob_id)
    assert (blocked.blocking, blocked.following) == (True, False)
    assert bob.account_relationships(alice.me().id)[0].blocked_by is True
    assert [a.id for a in alice.blocks()] == [bob_id]
    assert alice.timeline_home() == []
    assert alice.account_unblock(bob_id).blocking is False


def test_bookmarks_favourites_pins_and_a_report(node: NodeProcess) -> None:
    alice, bob = befriend(node)
    note = bob.status_post("worth keeping")
    assert alice.status_bookmark(note.id).bookmarked is True
    assert [s.id for s in alice.bookmarks()] == [note.id]
    alice.status_favourite(note.id)
    assert [s.id for s in alice.favourites()] == [note.id]
    assert bob.bookmarks() == [] and bob.favourites() == []

    mine = alice.status_post("read this first")
    alice.status_post("an ordinary post")
    assert alice.status_pin(mine.id).pinned is True
    pinned = bob.account_statuses(alice.me().id, pinned=True)
    assert [(s.id, s.pinned) for s in pinned] == [(mine.id, True)]
    assert len(bob.account_statuses(alice.me().id)) == 2

    report = alice.report(bob.me().id, status_ids=[note.id], comment="not ok", category="spam")
    assert (report.category, report.status_ids, report.comment) == ("spam", [note.id], "not ok")
    assert report.target_account.id == bob.me().id
    assert queued_reports(node) == [("alice", "bob", "not ok")]


@pytest.mark.both_databases
def test_follower_lists_and_account_search(node: NodeProcess) -> None:
    alice, bob = befriend(node)
    assert [a.username for a in alice.account_followers(alice.me().id)] == ["bob"]
    assert bob.account_followers(alice.me().id) == []
    assert [a.username for a in bob.account_search("ali")] == ["alice"]


def test_a_block_and_a_domain_block_across_two_nodes(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    bob = client(b, "bob", b.create_member("bob"))
    carol = client(b, "carol", b.create_member("carol"))
    for reader in (bob, carol):
        [found] = reader.search_v2(f"@alice@{a.domain}", resolve=True).accounts
        reader.account_follow(found.id)
    wait_for(lambda: len(alice.follow_requests()) == 2, what="two follow requests at A")
    for request in alice.follow_requests():
        alice.follow_request_authorize(request.id)
    alice_at_b = bob.account_search(f"alice@{a.domain}", resolve=True)[0]
    wait_for(
        lambda: all(r.account_relationships(alice_at_b.id)[0].following for r in (bob, carol)),
        what="both follows accepted at B",
    )
    alice.status_post("first news")
    wait_for(lambda: len(bob.timeline_home()) == 1, what="alice's post at bob's")

    [bob_at_a] = alice.account_search(f"bob@{b.domain}")
    assert alice.account_block(bob_at_a.id).blocking is True
    wait_for(
        lambda: bob.account_relationships(alice_at_b.id)[0].blocked_by,
        what="the block known at B",
    )
    assert bob.timeline_home() == []  # the blocked side stops seeing alice
    assert bob.account_relationships(alice_at_b.id)[0].following is False

    # A domain block on B's side: carol hides all of A.
    assert len(carol.timeline_home()) == 1
    carol.domain_block(a.domain)
    assert carol.domain_blocks() == [a.domain]
    assert carol.timeline_home() == []
    assert carol.account_relationships(alice_at_b.id)[0].domain_blocking is True
    carol.domain_unblock(a.domain)
    assert len(carol.timeline_home()) == 1
