"""Guarantees between real nodes: who a followers-only or unlisted post reaches, that an
activity delivered twice is applied once, and that a deleted account leaves other nodes.

One fleet serves the whole module (A and C on SQLite, B on PostgreSQL); each test uses its
own members. Absence is asserted only after every node's jobs have ended (`settle`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from content.posts import Post
from tests.rig.nodes import NodeProcess, read_database, wait_for
from tests.rig.nodes import settle as settle_nodes
from tests.rig.signing import signed_post

# The tests read collections and posts with unsigned GETs, as an anonymous visitor would.
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}
OPEN = "('queued', 'retry')"


@pytest.fixture(scope="module")
def nodes(shared_fleet: list[NodeProcess]) -> list[NodeProcess]:
    """The module's fleet (tests/scenarios/conftest.py), started once: no test here changes
    a node's policy."""
    return shared_fleet


@dataclass
class Member:
    """A member signed in on her node's web pages."""

    node: NodeProcess
    username: str
    password: str
    web: httpx.Client

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.node.domain}"

    @property
    def uri(self) -> str:
        return f"{self.node.base_url}/users/{self.username}"

    def home(self) -> str:
        return self.web.get("/home").text

    def post(self, words: str, visibility: str = "public") -> None:
        response = self.web.post("/compose", data={"text": words, "visibility": visibility})
        assert response.headers["location"] == "/home", response.headers["location"]

    def token(self) -> str:
        """A client app's token, by the password grant."""
        with closing(self.node.client()) as http:
            app = http.post(
                "/api/v1/apps",
                data={"client_name": "t", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
            ).json()
            granted = http.post(
                "/oauth/token",
                data={
                    "grant_type": "password",
                    "client_id": app["client_id"],
                    "client_secret": app["client_secret"],
                    "username": self.username,
                    "password": self.password,
                    "scope": "read",
                },
            )
            assert granted.status_code == 200, granted.text
            return str(granted.json()["access_token"])


@pytest.fixture(scope="module")
def join(nodes: list[NodeProcess]) -> Iterator[Callable[[NodeProcess, str], Member]]:
    """Create members (with the CLI) and sign them in; all sign out at the end."""
    made: list[Member] = []

    def make(node: NodeProcess, username: str) -> Member:
        password = node.create_member(username)
        made.append(Member(node, username, password, node.sign_in(username, password)))
        return made[-1]

    yield make
    for member in made:
        member.web.close()


def follow_and_accept(follower: Member, followed: Member) -> None:
    """The follower asks; the followed member approves the request by hand."""
    follower.web.post("/follow", data={"handle": followed.handle})
    wait_for(lambda: "/accept" in followed.web.get("/follow-requests").text, what="the request")
    request_id = re.findall(
        r"/follow-requests/(\d+)/accept", followed.web.get("/follow-requests").text
    )
    followed.web.post(f"/follow-requests/{request_id[0]}/accept")
    wait_for(
        lambda: follow_state(follower, followed) == "accepted",
        what=f"{follower.username}'s follow of {followed.username} accepted",
    )


def scalar(node: NodeProcess, query: str, **params: object) -> Any:
    """One value read from the node's database with plain SQL."""

    async def read(session: AsyncSession) -> Any:
        return await session.scalar(text(query), params)

    return read_database(node, read)


def follow_state(follower: Member, followed: Member) -> str | None:
    """The follower's node's record of her follow: pending, accepted, or none."""
    return scalar(
        follower.node,
        "SELECT follows.state FROM follows"
        " JOIN accounts AS follower ON follower.id = follows.follower_id"
        " JOIN accounts AS followed ON followed.id = follows.followed_id"
        " WHERE follower.username = :name AND follower.domain IS NULL AND followed.uri = :uri",
        name=follower.username,
        uri=followed.uri,
    )


def settle(nodes: list[NodeProcess]) -> None:
    """The rig's barrier (no node has work left), then none of it ended as failed or
    errored."""
    settle_nodes(*nodes)
    for node in nodes:
        assert ended_badly(node) == [], node.name


def ended_badly(node: NodeProcess) -> list[tuple[str, str]]:
    async def read(session: AsyncSession) -> list[tuple[str, str]]:
        rows = await session.execute(
            text(
                "SELECT 'delivery', last_error FROM deliveries WHERE state = 'failed'"
                " UNION ALL SELECT 'inbox', last_error FROM inbox_items WHERE state = 'errored'"
            )
        )
        return [(str(kind), str(error)) for kind, error in rows]

    return read_database(node, read)


def post_of(node: NodeProcess, words: str) -> Post | None:
    """The post (here a copy) whose text contains `words` on this node, if it holds one."""

    async def read(session: AsyncSession) -> Post | None:
        return await session.scalar(select(Post).where(Post.content_html.contains(words)))

    return read_database(node, read)


def anonymous_get(node: NodeProcess, path: str, **headers: str) -> httpx.Response:
    with closing(node.client()) as http:
        return http.get(path, headers=headers)


def public_timelines(node: NodeProcess, tag: str) -> str:
    """Everything an anonymous reader finds in the node's public, local and tag timelines."""
    with closing(node.client()) as http:
        found = [
            http.get("/api/v1/timelines/public", params={"limit": 40}),
            http.get("/api/v1/timelines/public", params={"local": "true", "limit": 40}),
            http.get(f"/api/v1/timelines/tag/{tag}", params={"limit": 40}),
            http.get(f"/tags/{tag}"),
        ]
    for response in found:
        assert response.status_code == 200, response.request.url
    return "\n".join(response.text for response in found)


def test_followers_only_and_unlisted_posts_reach_whom_they_should(
    nodes: list[NodeProcess], join: Callable[[NodeProcess, str], Member]
) -> None:
    a, b, c = nodes
    alice, bob, carol = join(a, "alice"), join(b, "bob"), join(c, "carol")
    follow_and_accept(bob, alice)
    carol.web.post("/follow", data={"handle": alice.handle})  # asked, never accepted
    wait_for(lambda: "/accept" in alice.web.get("/follow-requests").text, what="carol's request")

    alice.post("Followers only: the safe house moved #harbourtest", "private")
    alice.post("Unlisted: new opening hours #harbourtest", "unlisted")
    alice.post("Public: the clinic is open #harbourtest", "public")
    settle(nodes)
    followers_only = post_of(a, "the safe house moved")
    unlisted = post_of(a, "new opening hours")
    assert followers_only is not None and unlisted is not None

    # The accepted follower has all three; the one still asking has none.
    for words in ("the safe house moved", "new opening hours", "the clinic is open"):
        assert words in bob.home()
        assert words not in carol.home()
        assert post_of(c, words) is None
    # C's server was sent nothing of alice's: not even its admin could read the posts.
    sent_to_c = scalar(
        c,
        "SELECT count(*) FROM inbox_items JOIN accounts ON accounts.id = inbox_items.actor_id"
        " WHERE accounts.uri = :uri AND inbox_items.activity_type = 'Create'",
        uri=alice.uri,
    )
    assert sent_to_c == 0

    # The public post is on every public timeline of A and B: the checks below can see.
    for node in (a, b):
        assert "the clinic is open" in public_timelines(node, "harbourtest")
    assert "the clinic is open" in anonymous_get(a, "/@alice").text

    # Neither is on any public, local or tag timeline, on any node.
    for node in nodes:
        shown = public_timelines(node, "harbourtest")
        assert "the safe house moved" not in shown
        assert "new opening hours" not in shown

    # Anonymous readers of A: the unlisted post by its link, the followers-only one nowhere.
    assert "the safe house moved" not in anonymous_get(a, "/@alice").text
    page = f"/@alice/{followers_only.id}"
    assert anonymous_get(a, page).status_code == 404
    note = f"/users/alice/statuses/{followers_only.id}"
    assert anonymous_get(a, note, **AP).status_code == 404
    assert (
        "the safe house moved" not in anonymous_get(a, "/users/alice/outbox?page=true", **AP).text
    )
    assert "new opening hours" in anonymous_get(a, f"/@alice/{unlisted.id}").text
    fetched = anonymous_get(a, f"/users/alice/statuses/{unlisted.id}", **AP)
    assert fetched.status_code == 200 and "new opening hours" in fetched.text

    # On B, the copies are for bob: the followers-only one is not served to anyone else.
    kept = post_of(b, "the safe house moved")
    assert kept is not None and kept.visibility == "private"
    assert anonymous_get(b, f"/api/v1/statuses/{kept.id}").status_code == 404
    kept_unlisted = post_of(b, "new opening hours")
    assert kept_unlisted is not None
    assert anonymous_get(b, f"/api/v1/statuses/{kept_unlisted.id}").status_code == 200


def signed_by(
    member: Member,
) -> Callable[[NodeProcess, dict[str, Any]], tuple[dict[str, str], bytes]]:
    """Sign inbox POSTs with the member's own key, read from her node's database."""

    async def read(session: AsyncSession) -> Account | None:
        return await session.scalar(
            select(Account).where(Account.username == member.username, Account.domain.is_(None))
        )

    account = read_database(member.node, read)
    assert account is not None and account.private_key_pem is not None
    key_id, private_pem = account.key_id, account.private_key_pem

    def sign(to: NodeProcess, activity: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        return signed_post(
            "/inbox", activity, host=to.domain, key_id=key_id, private_pem=private_pem
        )

    return sign


def test_an_activity_delivered_twice_is_applied_once(
    nodes: list[NodeProcess], join: Callable[[NodeProcess, str], Member]
) -> None:
    a, b, _ = nodes
    erin, frank = join(a, "erin"), join(b, "frank")
    erin.post("Our winter coat drive starts today")
    settle(nodes)
    coats = post_of(a, "winter coat drive")
    assert coats is not None
    sign = signed_by(frank)
    note = f"{frank.uri}/statuses/4242"
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note}/activity",
        "type": "Create",
        "actor": frank.uri,
        "to": [erin.uri],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": frank.uri,
            "content": "<p>@erin I can bring two coats</p>",
            "to": [erin.uri],
            "tag": [{"type": "Mention", "href": erin.uri}],
            "published": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        },
    }
    like = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{frank.uri}#likes/4242",
        "type": "Like",
        "actor": frank.uri,
        "object": coats.uri,
    }
    requests = [sign(a, create), sign(a, like)]

    def deliver(request: tuple[dict[str, str], bytes]) -> int:
        headers, body = request
        with closing(a.client()) as http:
            return http.post("/inbox", content=body, headers=headers).status_code

    # Each request twice at once (a retry racing the first try), then once more later.
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(deliver, requests * 2)) == [202] * 4
    settle(nodes)
    assert [deliver(request) for request in requests] == [202, 202]
    settle(nodes)

    assert erin.home().count("I can bring two coats") == 1
    assert "1 like" in anonymous_get(a, f"/@erin/{coats.id}").text
    with closing(a.client()) as http:
        http.headers["authorization"] = f"Bearer {erin.token()}"
        notifications = http.get("/api/v1/notifications").json()
    kinds = sorted(entry["type"] for entry in notifications)
    assert kinds == ["favourite", "mention"], json.dumps(notifications, indent=1)


def test_a_deleted_account_leaves_the_other_nodes(
    nodes: list[NodeProcess], join: Callable[[NodeProcess, str], Member]
) -> None:
    a, b, _ = nodes
    dora, gus = join(a, "dora"), join(b, "gus")
    follow_and_accept(gus, dora)
    dora.post("Dora's outreach van stops at the station #harbourgone")
    wait_for(lambda: "outreach van" in gus.home(), what="dora's post at B")
    settle(nodes)
    copy = post_of(b, "outreach van")
    assert copy is not None
    found = anonymous_get(b, f"/api/v1/accounts/lookup?acct={dora.handle}")
    assert found.status_code == 200, found.text
    profile_id = found.json()["id"]
    assert anonymous_get(b, f"/api/v1/statuses/{copy.id}").status_code == 200
    assert "outreach van" in public_timelines(b, "harbourgone")

    gone = dora.web.post("/settings/delete", data={"password": dora.password})
    assert "Your account is deleted" in gone.text
    wait_for(lambda: delete_state(b, dora) is not None, what="dora's Delete at B")
    settle(nodes)
    assert delete_state(b, dora) == "applied"

    assert "outreach van" not in gus.home()
    assert post_of(b, "outreach van") is None
    assert anonymous_get(b, f"/api/v1/statuses/{copy.id}").status_code == 404
    assert "outreach van" not in public_timelines(b, "harbourgone")
    assert anonymous_get(b, f"/api/v1/accounts/{profile_id}").status_code == 404
    assert anonymous_get(b, f"/api/v1/accounts/lookup?acct={dora.handle}").status_code == 404
    assert follow_state(gus, dora) is None
    assert anonymous_get(a, "/users/dora", **AP).status_code == 410


def delete_state(node: NodeProcess, member: Member) -> str | None:
    """How the node's inbox item for the member's account Delete ended, if it arrived."""
    return scalar(
        node,
        "SELECT inbox_items.state FROM inbox_items"
        " JOIN accounts ON accounts.id = inbox_items.actor_id"
        " WHERE inbox_items.activity_type = 'Delete' AND accounts.uri = :uri"
        f" AND inbox_items.state NOT IN {OPEN}",
        uri=member.uri,
    )
