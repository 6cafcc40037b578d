"""Polls with Mastodon.py against real nodes: a poll made on one node is voted on from
another, and the results reach both."""

from __future__ import annotations

import pytest
from mastodon import MastodonAPIError

from tests.clients.test_mastodon_py import client, follow_approved
from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes


def test_a_poll_made_on_one_node_is_voted_on_from_another_and_the_results_reach_both(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    carol = client(a, "carol", a.create_member("carol"))
    bob = client(b, "bob", b.create_member("bob"))
    follow_approved(bob, alice, f"alice@{a.domain}")
    assert alice.instance().configuration.polls.max_options == 4
    with pytest.raises(MastodonAPIError, match="2 to 4 options"):
        alice.status_post("Too many", poll=alice.make_poll(list("abcde"), expires_in=3600))

    asked = alice.status_post(
        "Which day suits the meeting?", poll=alice.make_poll(["Friday", "Saturday"], 3600)
    )
    assert [o.title for o in asked.poll.options] == ["Friday", "Saturday"]
    assert asked.poll.voted is True and asked.poll.expired is False
    wait_for(lambda: any(s.poll for s in bob.timeline_home()), what="alice's poll at B", timeout=30)
    [copy] = [s for s in bob.timeline_home() if s.poll]
    assert [o.title for o in copy.poll.options] == ["Friday", "Saturday"]
    assert copy.poll.voted is False

    voted = bob.poll_vote(copy.poll.id, [1])
    assert voted.own_votes == [1] and voted.voted is True
    with pytest.raises(MastodonAPIError, match="already voted"):
        bob.poll_vote(copy.poll.id, [0])
    wait_for(
        lambda: [o.votes_count for o in alice.poll(asked.poll.id).options] == [0, 1],
        what="bob's vote counted at A",
    )
    with pytest.raises(MastodonAPIError, match="your own poll"):
        alice.poll_vote(asked.poll.id, [0])

    carol.poll_vote(asked.poll.id, [0])  # a vote here: A sends the new counts on
    wait_for(
        lambda: [o.votes_count for o in bob.poll(copy.poll.id).options] == [1, 1],
        what="the results at B",
    )
    results = bob.poll(copy.poll.id)
    assert (results.votes_count, results.voters_count, results.own_votes) == (2, 2, [1])
    assert alice.poll(asked.poll.id).voters_count == 2


@pytest.mark.both_databases
def test_a_multiple_choice_poll_hides_its_totals_until_it_ends(node: NodeProcess) -> None:
    alice = client(node, "alice", node.create_member("alice"))
    carol = client(node, "carol", node.create_member("carol"))
    asked = alice.status_post(
        "What do you need?",
        poll=alice.make_poll(["Lawyer", "Doctor", "Housing"], 600, True, True),
    )
    voted = carol.poll_vote(asked.poll.id, [0, 2])
    assert voted.multiple is True and voted.own_votes == [0, 2]
    assert [o.votes_count for o in voted.options] == [None, None, None]
    seen = alice.poll(asked.poll.id)
    assert [o.votes_count for o in seen.options] == [1, 0, 1] and seen.voters_count == 1
