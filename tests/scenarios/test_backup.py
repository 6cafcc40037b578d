"""`harbour backup create|restore` between real node processes: the encrypted file shows no
member data, and a fresh node on PostgreSQL restored from it serves the same accounts,
posts and images."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.images import post_photo
from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes

PASSPHRASE = "a backup passphrase kept offline"
NICKNAME = "quietrosalind"
TEXT = "meet at the clinic on thursday, bring the blue folder"


@pytest.fixture
def source(sqlite_databases: SQLiteDatabases, tmp_path: Path) -> Iterator[NodeProcess]:
    node = NodeProcess(
        port=free_port(),
        data_dir=tmp_path / "source",
        database_url=sqlite_databases.create(),
        extra_env={"HARBOUR_BACKUP_PASSPHRASE": PASSPHRASE},
    )
    node.start()
    yield node
    node.stop()


@pytest.fixture
def target_url(postgresql_databases: PostgresDatabases) -> Iterator[str]:
    """The restored node is on PostgreSQL: the move across databases is the demanding case
    (tests/node/test_backup_commands.py crosses every row both ways)."""
    url = postgresql_databases.create()
    yield url
    postgresql_databases.drop(url)


def token_for(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    """An app's bearer token for the member, as a phone app gets one."""
    app = http.post(
        "/api/v1/apps",
        data={"client_name": "app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
              "scopes": "read write"},
    ).json()  # fmt: skip
    token = http.post(
        "/oauth/token",
        data={"grant_type": "password", "username": username, "password": password,
              "client_id": app["client_id"], "client_secret": app["client_secret"],
              "scope": "read write"},
    ).json()["access_token"]  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


def test_a_restored_backup_serves_the_same_accounts_posts_and_images(
    source: NodeProcess, target_url: str, tmp_path: Path
) -> None:
    password = source.create_member(NICKNAME)
    with source.client() as http:
        auth = token_for(http, NICKNAME, password)
        posted, media_path, image = post_photo(http, auth, TEXT)
    assert len(image) > 200

    backup = tmp_path / "node.backup"
    made = source.run("backup", "create", str(backup))  # while the node serves
    assert made.returncode == 0, made.stderr
    source.stop()
    content = backup.read_bytes()
    secret_key = (source.data_dir / "secret.key").read_bytes()
    for readable in (NICKNAME.encode(), TEXT.encode(), image[100:164], secret_key, b"clinic"):
        assert readable not in content
    assert re.search(rb"\n-> scrypt \S{22} 18\n", content)  # the real factor, 256 MiB

    target = NodeProcess(
        port=source.port,  # the same domain: other servers know the accounts by it
        data_dir=tmp_path / "target",
        database_url=target_url,
        extra_env={"HARBOUR_BACKUP_PASSPHRASE": "not the passphrase at all"},
    )
    refused = target.run("backup", "restore", str(backup))
    assert refused.returncode == 1
    assert refused.stderr == "harbour: wrong passphrase for this backup\n"

    target.extra_env["HARBOUR_BACKUP_PASSPHRASE"] = PASSPHRASE
    cut = tmp_path / "cut.backup"
    cut.write_bytes(content[:-300])  # a copy that broke off: nothing of it may be kept
    broken = target.run("backup", "restore", str(cut))
    assert broken.returncode == 1 and "damaged" in broken.stderr, broken.stderr
    restored = target.run("backup", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    again = target.run("backup", "restore", str(backup))
    assert again.returncode == 1 and "--force" in again.stderr

    target.start()
    try:
        with target.client() as http:
            status = http.get(f"/api/v1/statuses/{posted['id']}", headers=auth)
            assert status.status_code == 200  # the app's token still works
            assert TEXT in status.json()["content"]
            assert http.get(media_path).content == image
            assert TEXT in http.get(f"/@{NICKNAME}").text
        with closing(target.sign_in(NICKNAME, password)) as member:
            assert TEXT in member.get("/home").text
    finally:
        target.stop()
