"""Lists with Mastodon.py against real nodes: a list of a followed account on another node
and a local one reads as its own timeline, by its replies policy; an exclusive list keeps
its members off the home timeline; a list is its owner's alone, and an unfollow or a block
takes the account off it."""

from __future__ import annotations

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from tests.clients.test_mastodon_py import client, follow_approved
from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes


def texts(statuses: list[dict[str, str]]) -> list[str]:
    """The statuses' text, newest first, without the paragraph markup."""
    return [s["content"].removeprefix("<p>").removesuffix("</p>") for s in statuses]


def test_a_list_of_a_remote_and_a_local_account_reads_as_its_own_timeline(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    carol = client(a, "carol", a.create_member("carol"))
    dave = client(a, "dave", a.create_member("dave"))
    bob = client(b, "bob", b.create_member("bob"))
    bob_at_a = follow_approved(alice, bob, f"bob@{b.domain}")
    carol_at_a = follow_approved(alice, carol, "carol")
    follow_approved(alice, dave, "dave")

    friends = alice.list_create("Friends")
    assert (friends.title, friends.replies_policy, friends.exclusive) == ("Friends", "list", False)
    alice.list_accounts_add(friends.id, [bob_at_a.id, carol_at_a.id])
    assert {x.acct for x in alice.list_accounts(friends.id)} == {f"bob@{b.domain}", "carol"}
    assert len(alice.list_accounts(friends.id, limit=1)) == 1
    assert len(alice.list_accounts(friends.id, limit=0)) == 2  # every one, as Mastodon
    assert [x.id for x in alice.account_lists(bob_at_a.id)] == [friends.id]

    from_bob = bob.status_post("Bob: the clinic is open late today")
    wait_for(
        lambda: "Bob: the clinic is open late today" in texts(alice.timeline_home()),
        what="bob's post at A",
    )
    [bob_copy] = [s for s in alice.timeline_home() if "clinic" in s.content]
    from_dave = dave.status_post("Dave: not on the list")
    carol.status_post("Carol: on the list")
    carol.status_post("Carol answers bob", in_reply_to_id=bob_copy.id)
    carol.status_post("Carol answers dave", in_reply_to_id=from_dave.id)
    carol.status_post("Carol answers herself", in_reply_to_id=carol.timeline_home()[0].id)

    assert texts(alice.timeline_list(friends.id)) == [
        "Carol answers herself",
        "Carol answers bob",
        "Carol: on the list",
        "Bob: the clinic is open late today",
    ]
    alice.list_update(friends.id, "Friends", replies_policy="followed")
    assert "Carol answers dave" in texts(alice.timeline_list(friends.id))
    alice.list_update(friends.id, "Friends", replies_policy="none")
    assert texts(alice.timeline_list(friends.id)) == [
        "Carol answers herself",
        "Carol: on the list",
        "Bob: the clinic is open late today",
    ]
    assert from_bob.id not in {s.id for s in alice.timeline_list(friends.id)}  # B's own ids

    home = texts(alice.timeline_home())
    assert "Bob: the clinic is open late today" in home and "Carol: on the list" in home
    exclusive = alice.list_update(friends.id, "Friends", replies_policy="none", exclusive=True)
    assert exclusive.exclusive is True
    assert texts(alice.timeline_home()) == ["Dave: not on the list"]
    assert len(alice.timeline_list(friends.id)) == 3


@pytest.mark.both_databases
def test_a_list_is_its_owners_alone_and_loses_whom_she_unfollows(node: NodeProcess) -> None:
    alice = client(node, "alice", node.create_member("alice"))
    carol = client(node, "carol", node.create_member("carol"))
    dave = client(node, "dave", node.create_member("dave"))
    mallory = client(node, "mallory", node.create_member("mallory"))
    carol_id = follow_approved(alice, carol, "carol").id
    dave_id = follow_approved(alice, dave, "dave").id
    mallory_id = mallory.account_verify_credentials().id

    work = alice.list_create("Work", replies_policy="list")
    with pytest.raises(MastodonAPIError, match="only accounts you follow"):
        alice.list_accounts_add(work.id, [mallory_id])
    with pytest.raises(MastodonAPIError, match="needs a title"):
        alice.list_create("   ")
    alice.list_accounts_add(work.id, [carol_id, dave_id])
    carol.status_post("Carol's rota")
    first = dave.status_post("Dave's shift swap")
    carol.status_post("Carol covers it", in_reply_to_id=first.id)
    assert texts(alice.timeline_list(work.id)) == [
        "Carol covers it",
        "Dave's shift swap",
        "Carol's rota",
    ]
    assert [x.title for x in alice.lists()] == ["Work"]

    for attempt in (
        lambda: mallory.list(work.id),
        lambda: mallory.timeline_list(work.id),
        lambda: mallory.list_accounts(work.id),
        lambda: mallory.list_update(work.id, "Mine now"),
        lambda: mallory.list_delete(work.id),
    ):
        with pytest.raises(MastodonNotFoundError):
            attempt()
    assert mallory.lists() == [] and mallory.account_lists(carol_id) == []

    alice.account_unfollow(dave_id)
    assert [x.acct for x in alice.list_accounts(work.id)] == ["carol"]
    # Her reply to dave goes too: by the list's policy, replies to members only.
    assert texts(alice.timeline_list(work.id)) == ["Carol's rota"]
    alice.account_block(carol_id)
    assert alice.list_accounts(work.id) == [] and alice.timeline_list(work.id) == []

    alice.list_delete(work.id)
    assert alice.lists() == []
    with pytest.raises(MastodonNotFoundError):
        alice.list(work.id)
