"""A suspended server tries to come back under other spellings of its host, and to replay
signed GETs made for another server (issue 12, findings 1 and 10), on three real nodes.

Node C is named with an internationalised name (`nöde-c.test`, in ASCII
`xn--nde-c-jua.test`), so the two forms of its name, Unicode full stops and odd ports can
all be tried against node A.
"""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ACTIVITY_JSON, PUBLIC
from activitypub.signatures import RequestParts, sign
from content import accounts
from content.accounts import Account
from content.posts import Post
from federation.inbox import InboxItem
from tests.rig.nodes import NodeProcess, read_database, wait_for
from tests.rig.signing import signed_post
from tests.scenarios.test_domain_blocks import inbox_refusals
from tests.scenarios.test_federation_lifecycle import home, post

pytestmark = pytest.mark.processes
C_NAME = "xn--nde-c-jua.test"  # nöde-c.test
ARABIC_INDIC_DIGITS = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)


@pytest.fixture
def fleet_names() -> tuple[str, ...]:
    return ("node-a.test", "node-b.test", C_NAME)


def respellings(port: int) -> list[str]:
    """Ways to write C's host (`xn--nde-c-jua.test:PORT`) that some parser reads as C."""
    p = str(port)
    return [
        f"n\u00f6de-c.test:{p}",  # the Unicode form of the name
        f"N\u00d6DE-C.TEST:{p}",  # the same in capitals
        f"XN--NDE-C-JUA.TEST:{p}",  # the ASCII form in capitals
        f"xn--nde-c-jua\u3002test:{p}",  # ideographic full stop
        f"xn--nde-c-jua\uff0etest:{p}",  # fullwidth full stop
        f"xn--nde-c-jua\uff61test:{p}",  # halfwidth ideographic full stop
        f"xn--nde-c-jua.test.:{p}",  # trailing dot
        f"xn--nde-c-jua.test:0{p}",  # leading zero in the port
        f"xn--nde-c-jua.test:{port + 65536}",  # out of range (the port, modulo 2**16)
        f"xn--nde-c-jua.test:{p}x",  # not digits
        f"xn--nde-c-jua.test:{p.translate(ARABIC_INDIC_DIGITS)}",  # digits int() accepts
        "\uff58\uff4e--\uff4e\uff44\uff45-\uff43-\uff4a\uff55\uff41.test:" + p,  # fullwidth
        f"carol@xn--nde-c-jua.test:{p}",  # user information
    ]


def forged_create(a: NodeProcess, spelling: str, number: int, key_pem: str) -> httpx.Response:
    """A Create to alice, signed with carol's real key, naming carol under `spelling`."""
    actor = f"http://{spelling}/users/carol"
    note = {
        "id": f"{actor}/statuses/respelled-{number}",
        "type": "Note",
        "attributedTo": actor,
        "content": f"<p>respelled {number}</p>",
        "to": [PUBLIC, f"{a.base_url}/users/alice"],
        "published": "2026-12-01T10:00:00Z",
    }
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": actor,
        "to": note["to"],
        "object": note,
    }
    headers, body = signed_post(
        "/users/alice/inbox", activity, host=a.domain, key_id=f"{actor}#main-key",
        private_pem=key_pem,
    )  # fmt: skip
    raw = {name: value.encode() for name, value in headers.items()}  # UTF-8, as sent
    return httpx.post(
        f"http://127.0.0.1:{a.port}/users/alice/inbox", headers=raw, content=body, timeout=30
    )


def private_key_of(node: NodeProcess, username: str) -> str:
    async def query(session: AsyncSession) -> str:
        account = await accounts.get_local(session, username)
        assert account is not None and account.private_key_pem is not None
        return account.private_key_pem

    return read_database(node, query)


def what_a_keeps(a: NodeProcess) -> tuple[list[tuple[str, str | None]], int, int]:
    """Remote accounts on A (id, domain), posts from the forgeries, and inbox items."""

    async def query(session: AsyncSession) -> tuple[list[tuple[str, str | None]], int, int]:
        remote = await session.execute(
            select(Account.uri, Account.domain).where(Account.username != "alice")
        )
        posts = await session.scalar(
            select(func.count()).select_from(Post).where(Post.content_html.contains("respelled"))
        )
        items = await session.scalar(select(func.count()).select_from(InboxItem))
        return sorted(tuple(row) for row in remote), posts or 0, items or 0

    return read_database(a, query)


@pytest.mark.parametrize("fleet", [{"HARBOUR_AUTHORIZED_FETCH": "true"}], indirect=True)
@pytest.mark.expect_failures(r"delivery http://node-a\.test:\d+/inbox failed: answered 403")
def test_a_suspended_server_cannot_come_back_under_another_spelling(
    fleet: list[NodeProcess],
) -> None:
    a, _b, c = fleet
    with (
        closing(a.sign_in("alice", a.create_member("alice"))) as alice,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
    ):
        carol.post("/follow", data={"handle": f"alice@{a.domain}"})  # C now knows alice
        wait_for(lambda: "1 follow request" in home(alice), what="carol's request at A")

        # A's admin types C's name as she read it: Unicode, a full stop of another script,
        # capitals. The block holds the one canonical form that C's ids are written in.
        typed = f"N\u00d6DE-C\u3002test:{c.port}"
        done = a.run("domain", "block", typed)
        assert done.returncode == 0, done.stderr
        assert a.run("domain", "list").stdout.split() == ["suspend", c.domain]

        # C's own deliveries are refused.
        refusals = inbox_refusals(a)
        post(carol, f"@alice@{a.domain} let me back in")
        wait_for(lambda: inbox_refusals(a) > refusals, what="A refusing C's delivery")

        # Carol's real key, under every other spelling of C's host: refused, nothing kept,
        # and A never contacts C to fetch the key.
        key_pem = private_key_of(c, "carol")
        kept_before = what_a_keeps(a)
        assert [d for _, d in kept_before[0] if d is not None] == [c.domain, c.domain]
        fetched_from_c = len(re.findall(r"GET /users/carol\b", c.output()))
        answers = {
            spelling: forged_create(a, spelling, number, key_pem)
            for number, spelling in enumerate(respellings(c.port))
        }
        accepted = {s: r.status_code for s, r in answers.items() if r.status_code != 400}
        assert accepted == {}, f"spellings not refused with 400: {accepted}"
        assert all(
            "host" in r.json()["error"] or "port" in r.json()["error"] for r in answers.values()
        )
        assert what_a_keeps(a) == kept_before
        assert len(re.findall(r"GET /users/carol\b", c.output())) == fetched_from_c
        assert "respelled" not in home(alice)

        # Lifted, C federates again through its one canonical name (A's transport reaches
        # an internationalised host by the name its policy approved).
        assert a.run("domain", "unblock", c.domain).returncode == 0
        post(carol, f"@alice@{a.domain} hello under my one name")
        wait_for(lambda: "under my one name" in home(alice), what="C's mention at A, let back in")


def signed_get(path: str, *, host: str, key_id: str, private_pem: str) -> dict[str, str]:
    headers = {"host": host, "accept": ACTIVITY_JSON}
    parts = RequestParts("GET", path, headers, b"")
    return {**headers, **sign(parts, key_id=key_id, private_pem=private_pem)}


@pytest.mark.parametrize("fleet", [{"HARBOUR_AUTHORIZED_FETCH": "true"}], indirect=True)
def test_a_signed_get_made_for_another_server_cannot_be_replayed(
    fleet: list[NodeProcess],
) -> None:
    """Finding 10: C, suspended by A, keeps a GET that B signed for C and replays it to A."""
    a, b, c = fleet
    assert a.run("domain", "block", c.domain).returncode == 0

    async def instance_key(session: AsyncSession) -> tuple[str, str]:
        actor = await accounts.instance_actor(session)
        assert actor is not None and actor.private_key_pem is not None
        return actor.key_id, actor.private_key_pem

    key_id, pem = read_database(b, instance_key)
    path = "/users/organisation/outbox"
    url = f"http://127.0.0.1:{a.port}{path}"
    for_a = signed_get(path, host=a.domain, key_id=key_id, private_pem=pem)
    assert httpx.get(url, headers=for_a, timeout=30).status_code == 200  # B itself may read
    made_for_c = signed_get(path, host=c.domain, key_id=key_id, private_pem=pem)
    replayed = httpx.get(url, headers=made_for_c, timeout=30)
    assert replayed.status_code == 401
    assert "another host" in replayed.text
    assert "orderedItems" not in replayed.text and "totalItems" not in replayed.text
