"""Mastodon.py reads grouped notifications and sets a notification policy on a real node:
likes and boosts of one post come as one group each, a mute that covers notifications hides
them in every list, and notifications from strangers wait as requests until accepted."""

from __future__ import annotations

import pytest

from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess

pytestmark = [pytest.mark.processes, pytest.mark.both_databases]


def test_groups_mutes_and_requests(node: NodeProcess) -> None:
    alice = client(node, "alice", node.create_member("alice"))
    friends = {name: client(node, name, node.create_member(name)) for name in ("bob", "cat", "dan")}
    note = alice.status_post("Outreach van tonight at 9")
    for friend in friends.values():
        friend.status_favourite(note.id)
    for name in ("bob", "cat"):
        friends[name].status_reblog(note.id)
    friends["dan"].account_follow(alice.account_verify_credentials().id)  # she approves follows

    found = alice.grouped_notifications()
    shape = [(g.type, g.notifications_count) for g in found.notification_groups]
    assert shape == [("follow_request", 1), ("reblog", 2), ("favourite", 3)]
    likes = found.notification_groups[2]
    assert likes.status_id == note.id
    names = {a.id: a.username for a in found.accounts}
    assert {names[i] for i in likes.sample_account_ids} == {"bob", "cat", "dan"}
    assert [s.id for s in found.statuses] == [note.id]
    assert alice.unread_grouped_notifications_count() == 3
    assert len(alice.notifications()) == 6  # the ungrouped list holds every one

    # A mute that covers notifications hides cat's in the app, as on the web page.
    cat = friends["cat"].account_verify_credentials()
    alice.account_mute(cat.id, notifications=True)
    assert all(n.account.id != cat.id for n in alice.notifications())
    counts = [g.notifications_count for g in alice.grouped_notifications().notification_groups]
    assert counts == [1, 1, 2]
    assert [a.username for a in alice.grouped_notification_accounts(likes.group_key)] == [
        "dan",
        "bob",
    ]

    # Held back from people she does not follow: their acts wait as requests, one per
    # sender (a follow request is never held back); accepting one lets that sender through.
    alice.update_notifications_policy(for_not_following="filter")
    eve = client(node, "eve", node.create_member("eve"))
    eve.status_post("@alice are you the one from the clinic?")
    assert [n.type for n in alice.notifications()] == ["follow_request"]
    requests = alice.notification_requests()
    assert [(r.account.username, r.notifications_count) for r in requests] == [
        ("eve", "1"),
        ("bob", "2"),
        ("dan", "1"),
    ]
    assert "clinic" in requests[0].last_status.content
    policy = alice.notifications_policy()
    assert policy.for_not_following == "filter"
    assert policy.summary.pending_requests_count == 3
    everything = alice.grouped_notifications(include_filtered=True).notification_groups
    assert [(g.type, g.notifications_count) for g in everything] == [
        ("mention", 1),
        ("follow_request", 1),
        ("reblog", 1),  # cat's stay muted
        ("favourite", 2),
    ]
    alice.accept_notification_request(requests[0].id)
    assert [n.type for n in alice.notifications()] == ["mention", "follow_request"]
    assert [r.account.username for r in alice.notification_requests()] == ["bob", "dan"]
