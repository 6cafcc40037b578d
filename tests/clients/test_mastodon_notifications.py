"""Mastodon.py reads notifications, markers and conversations from real Harbour nodes, and
retries a post safely with an idempotency key."""

from __future__ import annotations

import pytest

from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes


def test_acts_of_a_member_on_another_node_notify_and_a_direct_message_is_a_conversation(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    bob = client(b, "bob", b.create_member("bob"))
    bob_at_a = f"bob@{b.domain}"
    (alice_at_b,) = bob.search_v2(f"@alice@{a.domain}", resolve=True).accounts
    bob.account_follow(alice_at_b.id)
    wait_for(lambda: bool(alice.notifications()), what="the follow request at A")
    (request,) = alice.notifications()
    assert (request.type, request.account.acct) == ("follow_request", bob_at_a)
    alice.follow_request_authorize(request.account.id)
    assert alice.notifications() == []  # an answered request is no longer news
    wait_for(
        lambda: bob.account_relationships(alice_at_b.id)[0].following,
        what="the follow accepted at B",
    )

    note = alice.status_post("Peer support, Thursday 7pm")
    wait_for(lambda: bool(bob.timeline_home()), what="alice's post at B")
    copy = bob.timeline_home()[0]
    # One at a time: B delivers to A in parallel, and notifications are listed as they came.
    bob.status_favourite(copy.id)
    wait_for(lambda: len(alice.notifications()) == 1, what="the favourite at A")
    bob.status_reblog(copy.id)
    wait_for(lambda: len(alice.notifications()) == 2, what="the boost at A")
    bob.status_post(f"@alice@{a.domain} I will bring snacks")
    wait_for(lambda: len(alice.notifications()) == 3, what="three notifications at A")
    found = alice.notifications()
    assert [(n.type, n.account.acct) for n in found] == [
        ("mention", bob_at_a),
        ("reblog", bob_at_a),
        ("favourite", bob_at_a),
    ]
    assert "I will bring snacks" in found[0].status.content
    assert [n.status.id for n in found[1:]] == [note.id, note.id]
    assert [n.type for n in alice.notifications(types=["mention"])] == ["mention"]
    assert [n.type for n in alice.notifications(exclude_types=["mention", "reblog"])] == [
        "favourite"
    ]

    saved = alice.markers_set(["notifications"], [found[0].id])
    assert saved.notifications.last_read_id == found[0].id
    marker = alice.markers_get(["notifications", "home"])
    assert list(marker) == ["notifications"]
    assert (marker.notifications.last_read_id, marker.notifications.version) == (
        found[0].id,
        1,
    )

    bob.status_post(f"@alice@{a.domain} a word in private", visibility="direct")
    wait_for(lambda: bool(alice.conversations()), what="the direct message at A")
    (conversation,) = alice.conversations()
    assert conversation.unread is True
    assert [account.acct for account in conversation.accounts] == [bob_at_a]
    assert "a word in private" in conversation.last_status.content
    assert conversation.last_status.visibility == "direct"
    assert alice.conversations_read(conversation.id).unread is False


@pytest.mark.both_databases
def test_a_post_retried_with_its_idempotency_key_is_posted_once_even_after_a_restart(
    node: NodeProcess,
) -> None:
    password = node.create_member("alice")
    api = client(node, "alice", password)
    first = api.status_post("Shelter beds free tonight", idempotency_key="retry-1")
    node.stop()
    node.start()
    api = client(node, "alice", password)
    again = api.status_post("Shelter beds free tonight", idempotency_key="retry-1")
    assert again.id == first.id
    other = api.status_post("Shelter beds free tonight", idempotency_key="retry-2")
    assert [s.id for s in api.timeline_home()] == [other.id, first.id]
