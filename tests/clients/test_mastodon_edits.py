"""Editing with Mastodon.py against real nodes: the author's history, and the edit as a
follower on another node reads it."""

from __future__ import annotations

import pytest

from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes


def test_an_edit_shows_in_the_history_and_reaches_a_follower_on_another_node(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    bob = client(b, "bob", b.create_member("bob"))
    [found] = bob.search_v2(f"@alice@{a.domain}", resolve=True).accounts
    bob.account_follow(found.id)
    wait_for(lambda: bool(alice.follow_requests()), what="bob's follow request at A")
    alice.follow_request_authorize(alice.follow_requests()[0].id)
    wait_for(lambda: bob.account_relationships(found.id)[0].following, what="the follow")

    note = alice.status_post("Support group meets on Friday")
    wait_for(
        lambda: any("Friday" in s.content for s in bob.timeline_home()),
        what="alice's post on bob's timeline",
    )
    edited = alice.status_update(note.id, "Support group meets on Saturday", spoiler_text="dates")
    assert edited.edited_at is not None and edited.spoiler_text == "dates"
    history = alice.status_history(note.id)
    assert [(v.content, v.spoiler_text) for v in history] == [
        ("<p>Support group meets on Friday</p>", ""),
        ("<p>Support group meets on Saturday</p>", "dates"),
    ]
    assert alice.status_source(note.id).text == "Support group meets on Saturday"

    wait_for(
        lambda: any("Saturday" in s.content for s in bob.timeline_home()),
        what="the edit on bob's timeline",
    )
    copy = next(s for s in bob.timeline_home() if "Saturday" in s.content)
    assert copy.edited_at is not None and copy.spoiler_text == "dates"
    assert [v.content for v in bob.status_history(copy.id)] == [
        "<p>Support group meets on Friday</p>",
        "<p>Support group meets on Saturday</p>",
    ]
