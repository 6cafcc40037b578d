"""Mastodon.py, an independent client from PyPI, against real Harbour nodes."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import requests
from mastodon import Mastodon

from tests.rig.nodes import NodeProcess, wait_for

pytestmark = pytest.mark.processes
SCOPES = ["read", "write", "follow"]


class ByName(requests.Session):
    """Reaches a node on loopback under its name, also at URLs the node hands out."""

    def __init__(self, node: NodeProcess) -> None:
        super().__init__()
        self.node = node
        self.headers["Host"] = node.domain

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        loopback = f"http://127.0.0.1:{self.node.port}"
        request.url = str(request.url).replace(self.node.base_url, loopback)
        return super().send(request, **kwargs)

    def should_strip_auth(self, old_url: str, new_url: str) -> bool:
        loopback = f"http://127.0.0.1:{self.node.port}"
        return bool(
            super().should_strip_auth(old_url, new_url.replace(self.node.base_url, loopback))
        )


def client(node: NodeProcess, username: str, password: str, scopes: list[str] = SCOPES) -> Mastodon:
    """Register an app and log in with the password grant, as Mastodon.py users do. The
    node is reached on loopback by its name (`node-a.test:PORT` in the scenarios)."""
    api = registered_app(node, scopes)
    api.log_in(username, password, scopes=scopes, allow_http=True)
    return api


def registered_app(node: NodeProcess, scopes: list[str] = SCOPES) -> Mastodon:
    """Mastodon.py with an app registered on the node, not logged in yet."""
    session = ByName(node)
    base_url = f"http://127.0.0.1:{node.port}"
    client_id, secret = Mastodon.create_app(
        "Harbour tests", api_base_url=base_url, scopes=scopes, session=session
    )
    return Mastodon(
        client_id=client_id,
        client_secret=secret,
        api_base_url=base_url,
        version_check_mode="created",
        session=session,
    )


def follow_approved(follower: Mastodon, followed: Mastodon, handle: str) -> Any:
    """`follower` follows `@handle`, and `followed` (whose account is locked) approves: the
    followed account as the follower's node knows it."""
    [found] = follower.search_v2(f"@{handle}", resolve=True).accounts
    follower.account_follow(found.id)
    wait_for(lambda: bool(followed.follow_requests()), what=f"the follow request to {handle}")
    followed.follow_request_authorize(followed.follow_requests()[0].id)
    wait_for(
        lambda: follower.account_relationships(found.id)[0].following,
        what=f"the follow of {handle} accepted",
    )
    return found


@pytest.mark.both_databases
def test_log_in_post_read_and_delete(node: NodeProcess) -> None:
    api = client(node, "alice", node.create_member("alice"))
    me = api.account_verify_credentials()
    assert (me.username, me.acct, me.locked) == ("alice", "alice", True)

    posted = api.status_post("Hello from Mastodon.py", visibility="public")
    assert posted.content == "<p>Hello from Mastodon.py</p>"
    assert posted.account.id == me.id
    quiet = api.status_post("Only for followers", visibility="private")
    assert [s.id for s in api.timeline_home()] == [quiet.id, posted.id]
    assert [s.id for s in api.timeline_local()] == [posted.id]  # followers-only stays out
    assert api.status(posted.id).content == "<p>Hello from Mastodon.py</p>"
    api.status_delete(posted.id)
    assert [s.id for s in api.timeline_home()] == [quiet.id]
    assert api.instance().configuration.statuses.max_characters == 5000


@pytest.mark.both_databases
def test_pages_follow_the_link_headers_both_ways(node: NodeProcess) -> None:
    api = client(node, "alice", node.create_member("alice"))
    ids = [api.status_post(f"post {n}", visibility="public").id for n in range(5)]
    first = api.timeline_home(limit=2)
    assert [s.id for s in first] == ids[:2:-1]
    second = api.fetch_next(first)
    assert [s.id for s in second] == ids[2:0:-1]
    assert [s.id for s in api.fetch_previous(second)] == ids[:2:-1]
    assert [s.id for s in api.timeline_home(since_id=ids[2])] == ids[:2:-1]
    assert [s.id for s in api.timeline_home(min_id=ids[0], limit=2)] == ids[2:0:-1]


def test_the_authorization_code_flow_through_the_login_and_consent_pages(
    node: NodeProcess,
) -> None:
    password = node.create_member("alice")
    client_id, secret = Mastodon.create_app(
        "Harbour tests", api_base_url=node.base_url, scopes=SCOPES
    )
    api = Mastodon(
        client_id=client_id,
        client_secret=secret,
        api_base_url=node.base_url,
        version_check_mode="none",
    )
    url = api.auth_request_url(scopes=SCOPES, allow_http=True)
    with httpx.Client(follow_redirects=True) as browser:
        page = browser.get(url)
        assert "Sign in" in page.text
        consent = browser.post(
            f"{node.base_url}/login",
            data={
                "username": "alice",
                "password": password,
                "next": re.search(r'name="next" value="([^"]+)"', page.text)[1].replace(
                    "&amp;", "&"
                ),
            },
        )
        assert "Let Harbour tests use your account?" in consent.text
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', consent.text))
        granted = browser.post(f"{node.base_url}/oauth/authorize", data=form)
        code = re.search(r'<code id="code">([^<]+)</code>', granted.text)[1]
    api.log_in(code=code, scopes=SCOPES, allow_http=True)
    assert api.account_verify_credentials().username == "alice"


def test_clients_on_two_nodes_talk_through_federation(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = two_nodes
    alice = client(a, "alice", a.create_member("alice"))
    bob = client(b, "bob", b.create_member("bob"))
    found = bob.search_v2(f"@alice@{a.domain}", resolve=True).accounts
    assert [account.acct for account in found] == [f"alice@{a.domain}"]
    assert bob.account_follow(found[0].id).requested is True
    wait_for(lambda: bool(alice.follow_requests()), what="bob's follow request at A")
    alice.follow_request_authorize(alice.follow_requests()[0].id)
    wait_for(
        lambda: bob.account_relationships(found[0].id)[0].following,
        what="the follow accepted at B",
    )

    note = alice.status_post("Support group meets on Friday #PeerSupport")
    wait_for(
        lambda: any("Support group" in s.content for s in bob.timeline_home()),
        what="alice's post on bob's timeline",
    )
    copy = next(s for s in bob.timeline_home() if "Support group" in s.content)
    assert [t.name for t in copy.tags] == ["peersupport"]
    assert [s.id for s in bob.timeline_hashtag("PeerSupport")] == [copy.id]
    bob.status_post("I will be there", in_reply_to_id=copy.id)
    wait_for(
        lambda: any("I will be there" in s.content for s in alice.timeline_home()),
        what="bob's reply on alice's timeline",
    )
    reply = next(s for s in alice.timeline_home() if "I will be there" in s.content)
    assert reply.in_reply_to_id == note.id
    assert reply.account.acct == f"bob@{b.domain}"
    assert [s.id for s in alice.status_context(note.id).descendants] == [reply.id]

    assert bob.status_favourite(copy.id).favourited is True
    assert bob.status_reblog(copy.id).reblogged is True
    wait_for(lambda: alice.status(note.id).favourites_count == 1, what="the like at A")
    wait_for(lambda: alice.status(note.id).reblogs_count == 1, what="the boost at A")
    bob.status_unfavourite(copy.id)
    wait_for(lambda: alice.status(note.id).favourites_count == 0, what="the unlike at A")
