"""A bearer token's grant is remembered by each web process that reads the home timeline
(`content.token_cache`), so a revocation made anywhere must reach every process: two `harbour
serve --no-worker` on one PostgreSQL database, a token used through A (so A remembers it),
then revoked through B, through A itself, through the CLI (a process of its own) and by an
account suspended straight in the database; A refuses the token within a second every time.
One revoking mechanism a case: a token's own row (`/oauth/revoke`), statements revoking all
of a login's tokens or one app's (sign out everywhere, an app revoked on the security page),
the CLI's suspension (which also revokes), and a suspension that revokes nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from content.oauth import OOB
from content.orm import utcnow
from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.nodes import NodeProcess, Replica, free_port, read_database, wait_for
from tests.scenarios.test_several_processes import listeners

pytestmark = pytest.mark.processes
HOME = "/api/v1/timelines/home"
BOUND = 1.0  # seconds: what a block through one process promises in the others (DESIGN.md)


@pytest.fixture
def webs(postgresql_databases: PostgresDatabases, tmp_path: Path) -> Iterator[list[Replica]]:
    """Two web processes of one node on one PostgreSQL database, each listening."""
    url = postgresql_databases.create()
    pair = web_pair(url, tmp_path)
    pair[0].start()  # it sets the database and the secret key up; the other shares them
    pair[1].start()
    wait_for(lambda: listeners(pair[0], "harbour_stream") == 2, what="both processes listening")
    yield pair
    for each in pair:
        each.stop()
    postgresql_databases.drop(url)


def web_pair(url: str, tmp_path: Path) -> list[Replica]:
    """Two web processes of one node on the database at `url`, not started: the first at
    the node's public port, the second on a port of its own."""
    public = free_port()
    pair = [
        Replica(public, tmp_path, url, name="node-s.test", public_port=public, command=command)
        for command in (("serve", "--no-worker"), ("serve", "--no-worker"))
    ]
    pair[1].port = free_port()
    return pair


class App:
    """A client app with a token of one member, as Mastodon.py or toot register one."""

    def __init__(self, node: NodeProcess, username: str, password: str) -> None:
        with closing(node.client()) as http:
            made = http.post(
                "/api/v1/apps",
                data={"client_name": f"app of {username}", "redirect_uris": OOB},
            ).json()
            self.client_id, self.secret = made["client_id"], made["client_secret"]
            answer = http.post(
                "/oauth/token",
                data={
                    "grant_type": "password",
                    "client_id": self.client_id,
                    "client_secret": self.secret,
                    "username": username,
                    "password": password,
                    "scope": "read",
                },
            )
        answer.raise_for_status()
        self.token = str(answer.json()["access_token"])


def home(node: NodeProcess, token: str) -> int:
    with closing(node.client()) as http:
        return http.get(HOME, headers={"authorization": f"Bearer {token}"}).status_code


def remembered(node: NodeProcess, token: str) -> None:
    """The token read twice through `node`: the second answer comes from what it remembers."""
    assert [home(node, token), home(node, token)] == [200, 200]


def refused_within_bound(node: NodeProcess, token: str, since: float) -> None:
    while home(node, token) != 401:
        assert time.monotonic() - since < BOUND, "a revoked token was still accepted"
        time.sleep(0.02)


def signed_in(node: NodeProcess, username: str, password: str) -> httpx.Client:
    http = node.client()
    assert http.post("/login", data={"username": username, "password": password}).is_redirect
    return http


def test_a_token_revoked_through_any_process_is_refused_by_the_others_at_once(
    webs: list[Replica],
) -> None:
    a, b = webs
    password = a.create_member("sam")
    other = a.create_member("kim")

    # Revoked by its own row (RFC 7009), through B.
    app = App(a, "sam", password)
    remembered(a, app.token)
    with closing(b.client()) as http:
        revoked = http.post(
            "/oauth/revoke",
            data={"client_id": app.client_id, "client_secret": app.secret, "token": app.token},
        )
    assert revoked.status_code == 200
    refused_within_bound(a, app.token, time.monotonic())

    # Revoked through A itself: no wait for its own NOTIFY.
    app = App(a, "sam", password)
    remembered(a, app.token)
    with closing(a.client()) as http:
        http.post(
            "/oauth/revoke",
            data={"client_id": app.client_id, "client_secret": app.secret, "token": app.token},
        )
    assert home(a, app.token) == 401

    # One app's tokens revoked on the security page (one statement), through B; another
    # app's token of hers and another member's token stay good.
    app, kept, kims = App(a, "sam", password), App(a, "sam", password), App(a, "kim", other)
    for token in (app.token, kept.token, kims.token):
        remembered(a, token)
    with closing(signed_in(b, "sam", password)) as sam:
        page = sam.get("/settings/security").text
        app_ids = re.findall(r"/settings/apps/(\d+)/revoke", page)
        assert len(app_ids) == 2
        for app_id in app_ids[:1]:
            form = sam.post(f"/settings/apps/{app_id}/revoke")
            assert form.status_code == 303, form.text
    since = time.monotonic()
    first_refused = [t for t in (app.token, kept.token) if home(a, t) == 401]
    if not first_refused:
        while not first_refused:  # which of the two apps the page listed first
            assert time.monotonic() - since < BOUND, "a revoked app's token was still accepted"
            first_refused = [t for t in (app.token, kept.token) if home(a, t) == 401]
    assert len(first_refused) == 1 and home(a, kims.token) == 200

    # Signed out everywhere through B (every token of hers, one statement).
    app = App(a, "sam", password)
    remembered(a, app.token)
    with closing(signed_in(b, "sam", password)) as sam:
        assert sam.post("/settings/sign-out-everywhere").status_code == 303
    refused_within_bound(a, app.token, time.monotonic())
    assert home(a, kims.token) == 200

    # Suspended by the CLI, a process that serves nothing.
    app = App(a, "sam", password)
    remembered(a, app.token)
    suspended = a.run("account", "suspend", "sam", "--reason", "test", process=True)
    assert suspended.returncode == 0, suspended.stderr
    refused_within_bound(a, app.token, time.monotonic())


def test_a_suspension_that_revokes_nothing_still_refuses_the_token_in_every_process(
    webs: list[Replica],
) -> None:
    a, b = webs
    password = a.create_member("sam")
    app = App(a, "sam", password)
    for node in (a, b):
        remembered(node, app.token)

    async def suspend(session: AsyncSession) -> None:
        account = await session.scalar(select(Account).where(Account.username == "sam"))
        assert account is not None
        account.suspended_at = utcnow()  # the account alone: its tokens are not revoked
        await session.commit()

    read_database(a, suspend)
    since = time.monotonic()
    for node in (a, b):
        refused_within_bound(node, app.token, since)


def test_on_sqlite_a_command_run_beside_the_node_is_obeyed_at_once(
    sqlite_databases: SQLiteDatabases, tmp_path: Path
) -> None:
    """On SQLite nothing hears another process's commits, and `harbour account suspend` runs
    beside the serving node: so its grants are not remembered there at all."""
    node = NodeProcess(free_port(), tmp_path / "a", sqlite_databases.create())
    node.start()
    try:
        app = App(node, "sam", node.create_member("sam"))
        remembered(node, app.token)
        suspended = node.run("account", "suspend", "sam", process=True)
        assert suspended.returncode == 0, suspended.stderr
        assert home(node, app.token) == 401
    finally:
        node.stop()
        sqlite_databases.drop(node.database_url)
