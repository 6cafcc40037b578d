"""A reply written in the web form to a followers-only post, on three real nodes: bob on B
answers alice on A, whom he follows; his reply is followers-only like her post, so carol's
node C, which follows neither, cannot fetch it, and nobody reads it signed out."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from content.posts import Post
from tests.rig.nodes import NodeProcess, read_database, wait_for
from tests.scenarios.test_directory_federation import following

# Unsigned GETs must find nothing they should not even where a node allows them.
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}


def reply_to(node: NodeProcess, parent_uri: str) -> tuple[str, str] | None:
    """(uri, visibility) of the reply to `parent_uri` that `node` keeps, if any."""

    async def read(session: Any) -> tuple[str, str] | None:
        query = select(Post.uri, Post.visibility).where(Post.in_reply_to_uri == parent_uri)
        row = (await session.execute(query)).first()
        return (row[0], row[1]) if row else None

    return read_database(node, read)


def test_a_web_reply_to_a_followers_only_post_stays_with_followers(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    with (
        closing(a.sign_in("alice", a.create_member("alice"))) as alice,
        closing(b.sign_in("bob", b.create_member("bob"))) as bob,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
    ):
        bob.post("/follow", data={"handle": f"alice@{a.domain}"})
        wait_for(lambda: "/accept" in alice.get("/follow-requests").text, what="bob's request")
        [accept] = re.findall(r'action="(/follow-requests/\d+/accept)"',
                              alice.get("/follow-requests").text)  # fmt: skip
        assert alice.post(accept).status_code == 303
        wait_for(lambda: following(b, "bob") == 1, what="bob follows alice")
        text = "where is the night clinic"
        answer = alice.post("/compose", data={"text": text, "visibility": "private"})
        assert answer.headers["location"] == "/home"
        wait_for(lambda: text in bob.get("/home").text, timeout=90, what="alice's post at B")
        [form] = re.findall(r'<form method="post" action="/compose">.*?</form>',
                            bob.get("/home").text, re.S)  # fmt: skip
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
        post_id = fields["in_reply_to"]
        answer = bob.post("/compose", data={**fields, "text": "on Strada Lunga"})  # as sent
        assert answer.headers["location"] == "/home"

        parent_uri = f"{a.base_url}/users/alice/statuses/"
        found = read_database(b, lambda s: _parent_of(s, post_id))
        assert found.startswith(parent_uri)
        reply = reply_to(b, found)
        assert reply is not None and reply[1] == "private"
        wait_for(lambda: reply_to(a, found) is not None, timeout=90, what="the reply at A")
        assert reply_to(a, found) == reply  # alice's node keeps it followers-only too

        with b.client() as http:  # nobody signed out, and no node fetching it, gets it
            assert http.get(urlsplit(reply[0]).path, headers=AP).status_code in (401, 403, 404)
            assert "on Strada Lunga" not in http.get("/users/bob/outbox?page=true",
                                                     headers=AP).text  # fmt: skip
            assert "on Strada Lunga" not in http.get("/@bob").text
        assert "on Strada Lunga" not in carol.get("/home").text
        assert reply_to(c, found) is None


async def _parent_of(session: Any, post_id: str) -> str:
    return str(await session.scalar(select(Post.uri).where(Post.id == int(post_id))))
