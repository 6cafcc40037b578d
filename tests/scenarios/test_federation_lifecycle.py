"""The federation lifecycle across three real nodes, observed as their members see it."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest

from tests.rig.nodes import NodeProcess, wait_for

# The tests count followers by GETting collections unsigned.
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}


def count(node: NodeProcess, path: str) -> int:
    with node.client() as http:
        return int(http.get(path, headers=AP).json()["totalItems"])


def home(http: httpx.Client) -> str:
    return http.get("/home").text


def post(http: httpx.Client, text: str, visibility: str = "public", **extra: str) -> None:
    response = http.post("/compose", data={"text": text, "visibility": visibility, **extra})
    assert response.headers["location"] == "/home", response.headers["location"]


def post_id(http: httpx.Client, text: str) -> str:
    """The id of a post on the signed-in member's timeline, from its action buttons."""
    page = home(http)
    position = page.index(text)
    found = re.search(r'action="/posts/(\d+)/like"', page[position:])
    assert found, "the post has no actions"
    return found[1]


def test_follow_post_reply_react_edit_delete_unfollow_block(fleet: list[NodeProcess]) -> None:
    a, b, c = fleet
    with (
        closing(a.sign_in("alice", a.create_member("alice", cli=True))) as alice,
        closing(b.sign_in("bob", b.create_member("bob", cli=True))) as bob,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
    ):
        lifecycle(a, b, c, alice, bob, carol)


def lifecycle(
    a: NodeProcess,
    b: NodeProcess,
    c: NodeProcess,
    alice: httpx.Client,
    bob: httpx.Client,
    carol: httpx.Client,
) -> None:

    # Follow with approval: members approve followers by hand.
    bob.post("/follow", data={"handle": f"alice@{a.domain}"})
    carol.post("/follow", data={"handle": f"alice@{a.domain}"})
    wait_for(lambda: "2 follow requests" in home(alice), what="follow requests at A")
    for request_id in re.findall(
        r"/follow-requests/(\d+)/accept", alice.get("/follow-requests").text
    ):
        alice.post(f"/follow-requests/{request_id}/accept")
    wait_for(lambda: count(b, "/users/bob/following") == 1, what="bob's follow accepted")
    wait_for(lambda: count(c, "/users/carol/following") == 1, what="carol's follow accepted")
    assert count(a, "/users/alice/followers") == 2

    # Follow without approval: an organisation accepts at once.
    bob.post("/follow", data={"handle": f"organisation@{c.domain}"})
    wait_for(lambda: count(b, "/users/bob/following") == 2, what="organisation accepts")

    # A public post reaches both followers; a direct one only the one it mentions.
    post(alice, "Drop-in clinic on Tuesday")
    post(alice, f"@bob@{b.domain} private word for you", visibility="direct")
    wait_for(lambda: "private word for you" in home(bob), what="the direct post at B")
    wait_for(lambda: "Drop-in clinic on Tuesday" in home(carol), what="the public post at C")
    assert "private word for you" not in home(carol)

    # A reply threads back to its author.
    clinic = post_id(bob, "Drop-in clinic on Tuesday")
    post(bob, "Thank you, see you there", in_reply_to=clinic)
    wait_for(lambda: "Thank you, see you there" in home(alice), what="bob's reply at A")

    # Likes and boosts are counted on the post at its origin.
    bob.post(f"/posts/{clinic}/like")
    bob.post(f"/posts/{clinic}/boost")
    own = post_id(alice, "Drop-in clinic on Tuesday")
    wait_for(lambda: "1 like" in alice.get(f"/@alice/{own}").text, what="the like at A")
    wait_for(lambda: "1 boost" in alice.get(f"/@alice/{own}").text, what="the boost at A")

    # Edits and deletions follow the post wherever it went.
    alice.post(f"/posts/{own}/edit", data={"text": "Drop-in clinic moved to Wednesday"})
    wait_for(lambda: "moved to Wednesday" in home(bob), what="the edit at B")
    wait_for(lambda: "moved to Wednesday" in home(carol), what="the edit at C")
    alice.post(f"/posts/{own}/delete")
    wait_for(lambda: "moved to Wednesday" not in home(bob), what="the deletion at B")

    # Unfollow, and block (which ends the blocked account's follow).
    bob.post("/unfollow", data={"handle": f"alice@{a.domain}"})
    wait_for(lambda: count(a, "/users/alice/followers") == 1, what="bob's unfollow at A")
    alice.post("/block", data={"handle": f"carol@{c.domain}"})
    wait_for(lambda: count(a, "/users/alice/followers") == 0, what="the block ends the follow")
    wait_for(lambda: count(c, "/users/carol/following") == 0, what="C learns of the block")


@pytest.mark.fleet(size=2)
# A's deliveries to B fail while B is down, and are retried: a tenth of the real back-off.
@pytest.mark.parametrize("fleet", [{"HARBOUR_TEST_RETRY_SCALE": "0.1"}], indirect=True)
@pytest.mark.expect_failures(r"node-a\.test: delivery http://node-b\.test:\d+/\S+ retry: ")
def test_a_node_that_was_down_and_a_node_that_crashed_lose_nothing(
    fleet: list[NodeProcess],
) -> None:
    a, b = fleet
    with (
        closing(a.sign_in("alice", a.create_member("alice"))) as alice,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
    ):
        bob.post("/follow", data={"handle": f"alice@{a.domain}"})
        wait_for(lambda: "1 follow request" in home(alice), what="bob's request at A")
        request_id = re.findall(
            r"/follow-requests/(\d+)/accept", alice.get("/follow-requests").text
        )
        alice.post(f"/follow-requests/{request_id[0]}/accept")
        wait_for(lambda: count(b, "/users/bob/following") == 1, what="bob's follow accepted")

        # B is down when alice posts; it gets the post once it is back.
        b.stop()
        post(alice, "Written while you were away")
        b.start()
        wait_for(
            lambda: "Written while you were away" in home(bob),
            timeout=60,
            what="the missed post at B",
        )

        # A crashes with a delivery still queued (B is down again), then both come back.
        b.stop()
        post(alice, "Written just before the crash")
        a.kill()
        b.start()
        a.start()
        wait_for(
            lambda: "Written just before the crash" in home(bob),
            timeout=60,
            what="the post queued before the crash at B",
        )
        assert home(bob).count("Written just before the crash") == 1
        assert home(bob).count("Written while you were away") == 1
