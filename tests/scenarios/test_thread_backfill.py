"""A thread made whole on a node that saw only its last reply (FEP-7888), across three real
nodes: A and C on SQLite, B on PostgreSQL, with signed fetches (authorized fetch on)."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

import httpx
import pytest

from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes
ROOT = "Is the Tuesday clinic still open in winter?"
FIRST = "It was last week, I went there"
SECOND = "Thank you, did they ask for papers?"
LAST = "No papers, and the nurse speaks Romanian"
AFTER = "Good to know, I will go on Tuesday"
ASIDE = "Also: the clinic moved to the second floor"


def home(http: httpx.Client) -> str:
    return http.get("/home").text


def post(http: httpx.Client, text: str, **extra: str) -> None:
    answer = http.post("/compose", data={"text": text, "visibility": "public", **extra})
    assert answer.headers["location"] == "/home", answer.headers["location"]


def post_id(http: httpx.Client, text: str) -> str:
    """The id of a post on the member's home timeline, from its action buttons."""
    wait_for(lambda: text in home(http), what=f"{text!r} on the timeline")
    page = home(http)
    found = re.search(r'action="/posts/(\d+)/like"', page[page.index(text) :])
    assert found, "the post has no actions"
    return found[1]


def follow_and_approve(who: httpx.Client, handle: str, approver: httpx.Client) -> None:
    who.post("/follow", data={"handle": handle})
    wait_for(lambda: "follow request" in home(approver), what=f"the request for {handle}")
    for request_id in re.findall(
        r"/follow-requests/(\d+)/accept", approver.get("/follow-requests").text
    ):
        approver.post(f"/follow-requests/{request_id}/accept")


def api(node: NodeProcess, token: str, path: str) -> Any:
    with node.client() as http:
        answer = http.get(path, headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        return answer.json()


def test_a_thread_is_complete_on_a_node_that_saw_only_its_last_reply(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    dan_password = c.create_member("dan")
    with (
        closing(a.sign_in("alice", a.create_member("alice"))) as alice,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
        closing(c.sign_in("dan", dan_password)) as dan,
    ):
        # A thread between A and B: alice asks, bob answers, alice asks again.
        follow_and_approve(bob, f"alice@{a.domain}", alice)
        follow_and_approve(alice, f"bob@{b.domain}", bob)
        post(alice, ROOT)
        post(bob, FIRST, in_reply_to=post_id(bob, ROOT))
        post(alice, SECOND, in_reply_to=post_id(alice, FIRST))
        post(alice, ASIDE, in_reply_to=post_id(alice, ROOT))  # beside the chain, not on it
        # Only now does dan on C follow bob: of the thread, C receives the last reply only.
        token = c.app_token("dan", dan_password)
        follow_and_approve(dan, f"bob@{b.domain}", bob)
        bob_at_c = api(c, token, f"/api/v1/accounts/lookup?acct=bob@{b.domain}")["id"]
        wait_for(
            lambda: api(c, token, f"/api/v1/accounts/relationships?id[]={bob_at_c}")[0][
                "following"
            ],
            what="dan's follow of bob accepted",
        )
        post(bob, LAST, in_reply_to=post_id(bob, SECOND))
        wait_for(
            lambda: any(LAST in s["content"] for s in api(c, token, "/api/v1/timelines/home")),
            what="the last reply at C",
        )
        last = next(s for s in api(c, token, "/api/v1/timelines/home") if LAST in s["content"])

        def ancestors() -> list[str]:
            found = api(c, token, f"/api/v1/statuses/{last['id']}/context")["ancestors"]
            return [s["content"] for s in found]

        # C fetched what it lacked: the whole chain, root first, each from its own node.
        wait_for(lambda: len(ancestors()) == 3, what="the thread filled in at C")
        texts = ancestors()
        assert ROOT in texts[0] and FIRST in texts[1] and SECOND in texts[2], texts

        # The reply beside the chain came too, from the root's context collection (FEP-7888).
        thread_root = api(c, token, f"/api/v1/statuses/{last['id']}/context")["ancestors"][0]
        assert thread_root["account"]["acct"] == f"alice@{a.domain}"

        def beside() -> list[str]:
            found = api(c, token, f"/api/v1/statuses/{thread_root['id']}/context")["descendants"]
            return [s["content"] for s in found]

        # The chain may be whole before the collection's other items are stored.
        wait_for(lambda: any(ASIDE in text for text in beside()), what="the reply beside")

        # And dan takes part: the thread now has posts from all three nodes, and B has his.
        post(dan, AFTER, in_reply_to=last["id"])
        wait_for(lambda: AFTER in home(bob), what="dan's reply at B")
