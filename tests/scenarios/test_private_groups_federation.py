"""A members-only group across three real nodes (A and C on SQLite, B on PostgreSQL): a
member of B posts in a members-only group on A; the group's members on A, B and C read it
and nobody else does (no anonymous page, no unsigned or non-member ActivityPub GET, not
B's public timeline, profile or outbox, not a non-member's client API). Joining waits for a
moderator on A, and the member from C then sees the earlier threads."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.signatures import RequestParts, sign
from content.accounts import Account
from federation.inbox import InboxItem
from tests.rig.nodes import NodeProcess, read_database, wait_for

# Unsigned GETs must find nothing they should not even where a node allows them.
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
AP = {"Accept": "application/activity+json"}
SECRET = "where can I get an HIV test"


def page(member: httpx.Client, path: str) -> str:
    return member.get(path).text


def token_of(node: NodeProcess, username: str, password: str) -> dict[str, str]:
    """A client API bearer token for the member, by the password grant."""
    with node.client() as http:
        app = http.post(
            "/api/v1/apps",
            data={"client_name": "app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                  "scopes": "read"},
        ).json()  # fmt: skip
        token = http.post(
            "/oauth/token",
            data={"grant_type": "password", "username": username, "password": password,
                  "client_id": app["client_id"], "client_secret": app["client_secret"],
                  "scope": "read"},
        ).json()["access_token"]  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


def signed_get(target: NodeProcess, path: str, signer: NodeProcess, username: str) -> Any:
    """An ActivityPub GET on `target`, signed with the key of `username` on `signer`."""

    async def key(session: AsyncSession) -> tuple[str, str]:
        account = await session.scalar(
            select(Account).where(Account.username == username, Account.domain.is_(None))
        )
        assert account is not None and account.private_key_pem is not None
        return account.key_id, account.private_key_pem

    key_id, pem = read_database(signer, key)
    headers = {"host": target.domain, **{k.lower(): v for k, v in AP.items()}}
    headers.update(sign(RequestParts("GET", path, headers, b""), key_id=key_id, private_pem=pem))
    with target.client() as http:
        return http.get(path, headers=headers)


def let_in(mod: httpx.Client, asker: str) -> None:
    """The moderator lets the account waiting with this handle into the group."""
    shown = page(mod, "/discussions/clinic")
    found = re.search(rf'name="account" value="(\d+)">\s*<span>@{re.escape(asker)}</span>', shown)
    assert found, shown
    answered = mod.post(
        "/discussions/clinic/requests", data={"account": found[1], "answer": "accept"}
    )
    assert answered.status_code == 303, answered.text


def test_a_members_only_post_reaches_the_members_on_three_nodes_and_nobody_else(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    mod_password = a.create_member("mod")
    created = a.run(
        "group", "create", "clinic", "--title", "Health questions", "--visibility", "members",
        "--moderator", "mod", "--description", "Rule 1: no names of clients.",
        "--language", "en", "--topics", "health testing",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    group = f"clinic@{a.domain}"
    with a.client() as http:
        actor = http.get("/users/clinic", headers=AP).json()
    assert actor["manuallyApprovesFollowers"] is True
    bob_password = b.create_member("bob")
    dave_password = b.create_member("dave")  # on B, never a member
    with (
        closing(a.sign_in("mod", mod_password)) as mod,
        closing(a.sign_in("frank", a.create_member("frank"))) as frank,
        closing(b.sign_in("bob", bob_password)) as bob,
        closing(b.sign_in("dave", dave_password)) as dave,
        closing(c.sign_in("carol", c.create_member("carol"))) as carol,
        closing(c.sign_in("erin", c.create_member("erin"))) as erin,
    ):
        # Asking by handle shows the group's rules first; the request waits for a moderator.
        shown = bob.post("/discussions/join", data={"handle": group})
        assert shown.headers["location"] == f"/discussions/{group}", shown.headers
        rules = page(bob, f"/discussions/{group}")
        assert "Rule 1: no names of clients." in rules and "Ask to join" in rules
        assert bob.post(f"/discussions/{group}/join").status_code == 303
        wait_for(
            lambda: f"@bob@{b.domain}</span>" in page(mod, "/discussions/clinic"),
            what="B's request waiting for the moderator on A",
        )
        assert "waiting" in page(bob, f"/discussions/{group}")
        let_in(mod, f"bob@{b.domain}")
        wait_for(
            lambda: "You are a member." in page(bob, f"/discussions/{group}"),
            what="A's Accept reaching B",
        )

        made = bob.post(f"/discussions/{group}/new", data={"title": "Testing", "text": SECRET})
        assert made.status_code == 303, made.text
        wait_for(lambda: "Testing" in page(mod, "/discussions/clinic"), what="B's post on A")
        bobs_thread = made.headers["location"]
        assert SECRET in page(bob, bobs_thread)
        post_id = bobs_thread.rsplit("/", 1)[1]

        # C asks to join after the thread was written, and sees it once let in.
        carol.post("/discussions/join", data={"handle": group})
        assert "Rule 1" in page(carol, f"/discussions/{group}")
        assert carol.post(f"/discussions/{group}/join").status_code == 303
        wait_for(
            lambda: f"@carol@{c.domain}</span>" in page(mod, "/discussions/clinic"),
            what="C's request waiting on A",
        )
        assert "Testing" not in page(carol, f"/discussions/{group}")
        let_in(mod, f"carol@{c.domain}")
        wait_for(
            lambda: "Testing" in page(carol, f"/discussions/{group}"),
            what="the earlier thread backfilled on C",
        )
        listed = page(carol, f"/discussions/{group}")
        (on_c,) = re.findall(rf'href="/discussions/{re.escape(group)}/(\d+)"', listed)
        assert SECRET in page(carol, f"/discussions/{group}/{on_c}")
        replied = carol.post(f"/discussions/{group}/{on_c}/reply", data={"text": "Clinic 4, free"})
        assert replied.status_code == 303, replied.text
        wait_for(lambda: "Clinic 4, free" in page(bob, bobs_thread), what="C's reply on B")
        (on_a,) = re.findall(r'href="/discussions/clinic/(\d+)"', page(mod, "/discussions/clinic"))
        assert SECRET in page(mod, f"/discussions/clinic/{on_a}")

        # Dave on B follows A's organisation: A's groups join B's directory, content not.
        dave.post("/follow", data={"handle": f"organisation@{a.domain}"})
        wait_for(
            lambda: "Health questions" in page(dave, "/discussions?language=en&topic=health"),
            what="A's group in B's directory of groups",
        )

        # Nobody else: anonymous pages on every node, B's public places, non-members.
        anonymous = [
            (a, "/discussions/clinic"), (a, f"/discussions/clinic/{on_a}"), (a, "/"),
            (b, "/discussions"), (b, f"/discussions/{group}"), (b, bobs_thread), (b, "/"),
            (b, "/@bob"), (b, f"/@bob/{post_id}"), (b, f"/users/bob/statuses/{post_id}"),
            (c, f"/discussions/{group}"), (c, f"/discussions/{group}/{on_c}"), (c, "/"),
        ]  # fmt: skip
        for node, path in anonymous:
            with node.client() as http:
                assert SECRET not in http.get(path).text, (node.domain, path)
        for outsider, node_path in (
            (frank, f"/discussions/clinic/{on_a}"),
            (dave, bobs_thread),
            (erin, f"/discussions/{group}/{on_c}"),
        ):
            assert SECRET not in page(outsider, node_path)
        with b.client() as http:
            for path in (
                f"/users/bob/statuses/{post_id}", "/users/bob/outbox?page=true",
                "/users/bob/outbox",
            ):  # fmt: skip
                assert SECRET not in http.get(path, headers=AP).text, path
        with a.client() as http:
            assert http.get("/users/clinic/outbox", headers=AP).status_code == 401
        as_dave = signed_get(a, "/users/clinic/outbox", b, "dave")
        assert as_dave.status_code == 200 and as_dave.json()["orderedItems"] == []
        assert SECRET not in signed_get(b, f"/users/bob/statuses/{post_id}", c, "erin").text
        as_carol = signed_get(a, "/users/clinic/outbox", c, "carol")
        assert SECRET in as_carol.text and "#Public" not in as_carol.text
        auth = token_of(b, "dave", dave_password)
        with b.client() as http:
            assert http.get(f"/api/v1/statuses/{post_id}", headers=auth).status_code == 404
            for path in ("/api/v1/timelines/public", "/api/v1/timelines/public?local=true"):
                assert SECRET not in http.get(path, headers=auth).text
            bob_id = http.get("/api/v1/accounts/lookup?acct=bob", headers=auth).json()["id"]
            assert SECRET not in http.get(f"/api/v1/accounts/{bob_id}/statuses", headers=auth).text
    for node in fleet:
        logged = [
            line
            for line in node.output().splitlines()
            if re.search(r"WARNING|ERROR|Traceback", line)
        ]
        assert logged == [], (node.domain, logged)
        assert read_database(node, unfinished) == [], node.domain


async def unfinished(session: AsyncSession) -> list[str]:
    """Inbox items that did not apply cleanly (errored, or waiting to try again)."""
    rows = await session.scalars(
        select(InboxItem.state).where(InboxItem.state.in_(("errored", "retry")))
    )
    return list(rows)
