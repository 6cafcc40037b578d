"""An organisation moves its node from SQLite to PostgreSQL as the README says: stop the
node, `harbour database copy-to URL`, start it on PostgreSQL with the same data folder. Its
members sign in with their old passwords and find their posts, image, listing, country page,
group thread and counts; the copy refuses a database that already holds data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.node.test_database_copy import every_row
from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.images import post_photo
from tests.rig.nodes import NodeProcess, free_port, wait_for
from tests.scenarios.test_country_federation import ENGLISH, romania
from tests.scenarios.test_directory_federation import LISTING, directory, publish

pytestmark = pytest.mark.processes

TEXT = "the clinic on Strada Lunga is open late on thursdays"
GROUP = {"name": "peers", "title": "Peer support", "description": "", "visibility": "public"}
THREAD = {"title": "Night buses", "text": "Which lines are safe at night?"}


@pytest.fixture
def postgresql_url(postgresql_databases: PostgresDatabases) -> Iterator[str]:
    """A new, empty PostgreSQL database, as `createdb` makes one."""
    url = postgresql_databases.create_empty()
    yield url
    postgresql_databases.drop(url)


def counts(node: NodeProcess, auth: dict[str, str], username: str) -> dict[str, Any]:
    """The counts a phone app shows on a member's profile."""
    with node.client() as http:
        found = http.get("/api/v1/accounts/lookup", params={"acct": username}, headers=auth)
        account = found.json()
    return {key: account[key] for key in ("statuses_count", "followers_count", "following_count")}


def fill(node: NodeProcess, rosa: str, mia: str, sam: str) -> dict[str, Any]:
    """What the node's people make through its web pages and client API; what to find again."""
    auth = {"Authorization": f"Bearer {node.app_token('rosa', rosa, 'read write')}"}
    with node.client() as http:
        posted, media_path, image = post_photo(http, auth, TEXT)
    with (
        closing(node.sign_in("mia", mia)) as mia_web,
        closing(node.sign_in("sam", sam)) as sam_web,
        closing(node.sign_in("rosa", rosa)) as rosa_web,
    ):
        assert mia_web.post("/follow", data={"handle": f"rosa@{node.domain}"}).status_code == 303
        [accept] = re.findall(
            r'action="(/follow-requests/\d+/accept)"', rosa_web.get("/follow-requests").text
        )
        assert rosa_web.post(accept).status_code == 303  # members approve their followers
        publish(sam_web)
        assert sam_web.post("/countries/RO/edit", data=ENGLISH).status_code == 303
        assert sam_web.post("/discussions/new", data=GROUP).status_code == 303
        assert rosa_web.post("/discussions/peers/join").status_code == 303
        assert rosa_web.post("/discussions/peers/new", data=THREAD).status_code == 303
    wait_for(lambda: counts(node, auth, "rosa")["followers_count"] == 1, what="mia follows rosa")
    return {"auth": auth, "status": posted["id"], "media": media_path, "image": image}


def test_a_node_moved_to_postgresql_serves_all_it_served(
    sqlite_databases: SQLiteDatabases, postgresql_url: str, tmp_path: Path
) -> None:
    node = NodeProcess(free_port(), tmp_path / "node", sqlite_databases.create())
    node.start()
    try:
        rosa, mia, sam = (node.create_member(name) for name in ("rosa", "mia", "sam"))
        assert node.run("admin", "grant", "sam", "--role", "staff").returncode == 0
        made = fill(node, rosa, mia, sam)
        before = {name: counts(node, made["auth"], name) for name in ("rosa", "mia")}
    finally:
        node.stop()
    assert before["rosa"]["statuses_count"] >= 2 and before["mia"]["following_count"] == 1

    copied = node.run("database", "copy-to", postgresql_url, process=True)
    assert copied.returncode == 0, copied.stderr
    assert "  media_attachments: 1 rows" in copied.stdout
    assert "every account's counters are the same" in copied.stdout
    assert f"media files stay where they are, in {node.data_dir / 'media'}" in copied.stdout

    moved = NodeProcess(node.port, node.data_dir, postgresql_url)
    moved.start()
    try:
        with closing(moved.sign_in("rosa", rosa)) as rosa_web, moved.client() as http:
            assert {name: counts(moved, made["auth"], name) for name in before} == before
            assert "1 follower" in http.get("/@rosa").text
            status = http.get(f"/api/v1/statuses/{made['status']}", headers=made["auth"])
            assert TEXT in status.json()["content"]  # the app's token still works
            assert http.get(made["media"]).content == made["image"]
            assert LISTING["name"] in directory(moved, q="night clinic")
            assert ENGLISH["title"] in romania(moved)
            assert THREAD["title"] in rosa_web.get("/discussions/peers").text
            assert TEXT in rosa_web.get("/home").text
            again = http.post(
                "/api/v1/statuses", headers=made["auth"], data={"status": "now on PostgreSQL"}
            )
            assert again.status_code == 200, again.text
        with closing(moved.sign_in("mia", mia)) as mia_web:
            wait_for(
                lambda: "now on PostgreSQL" in mia_web.get("/home").text,
                what="rosa's new post in mia's home timeline",
            )
        after = counts(moved, made["auth"], "rosa")
        assert after["statuses_count"] == before["rosa"]["statuses_count"] + 1
    finally:
        moved.stop()


def test_a_database_that_holds_data_is_refused_and_kept_as_it_was(
    sqlite_databases: SQLiteDatabases, postgresql_databases: PostgresDatabases, tmp_path: Path
) -> None:
    node = NodeProcess(free_port(), tmp_path / "node", sqlite_databases.create())
    assert node.run("init").returncode == 0
    used = postgresql_databases.create()
    try:
        other = NodeProcess(node.port, tmp_path / "other", used)
        assert other.run("init").returncode == 0  # a node started on it once
        other.create_member("someone")
        kept = every_row(used)
        refused = node.run("database", "copy-to", used, process=True)
        assert refused.returncode == 1
        assert refused.stderr.startswith("harbour: the target database is not empty (")
        assert every_row(used) == kept
    finally:
        postgresql_databases.drop(used)
