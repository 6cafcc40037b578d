"""Nothing a node stores or logs holds the address a member connected from."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, select
from websockets.sync.client import connect

from node.models import Base
from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes
MEMBER_ADDRESS = "127.0.0.77"  # loopback, but not the address the node's own requests use
FORWARDED = "203.0.113.77"  # what a proxy in front of the node would add
STREAM_TOKENS: list[str] = []  # the token a stream was opened with, found nowhere either


def test_no_database_row_or_log_line_holds_a_client_address(
    database_url: str, tmp_path: Path
) -> None:
    node = NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=database_url)
    node.start()
    try:
        invite = node.run("invite", "create").stdout.split()[0].split("invite=")[1]
        with member_client(node) as member:
            use_the_node_as_a_member_would(member, invite)
    finally:
        node.stop()

    stored = everything_stored(database_url)
    logged = node.output()
    assert "from an app" in stored and "POST /api/v1/statuses 200" in logged  # they are complete
    assert '"WebSocket /api/v1/streaming" [accepted]' in logged
    for address in (MEMBER_ADDRESS, FORWARDED, *STREAM_TOKENS):
        assert address not in stored
        assert address not in logged
    raw = raw_bytes(database_url)  # and not in free space, deleted rows or a journal
    assert b"from an app" in raw
    assert MEMBER_ADDRESS.encode() not in raw and FORWARDED.encode() not in raw


def member_client(node: NodeProcess) -> httpx.Client:
    """A browser-like client connecting from MEMBER_ADDRESS, behind a proxy that says so."""
    return httpx.Client(
        base_url=f"http://127.0.0.1:{node.port}",
        transport=httpx.HTTPTransport(local_address=MEMBER_ADDRESS),
        headers={
            "Host": node.domain,
            "X-Forwarded-For": FORWARDED,
            "X-Real-IP": FORWARDED,
            "Forwarded": f"for={FORWARDED}",
        },
        timeout=20,
    )


def use_the_node_as_a_member_would(member: httpx.Client, invite: str) -> None:
    """Join, fail and succeed at signing in, post, use the client API, hit an error."""
    joined = member.post(
        "/register", data={"invite": invite, "username": "mira", "password": "a long passphrase 1"}
    )
    assert joined.status_code == 303, joined.text
    member.post("/logout")
    assert member.post("/login", data={"username": "mira", "password": "wrong"}).status_code == 401
    signed_in = member.post("/login", data={"username": "mira", "password": "a long passphrase 1"})
    assert signed_in.status_code == 303
    assert (
        member.post("/compose", data={"text": "hello", "visibility": "public"}).status_code == 303
    )
    app = member.post(
        "/api/v1/apps",
        data={
            "client_name": "app",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write",
        },
    ).json()
    token = member.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "mira", "password": "a long passphrase 1",
              "client_id": app["client_id"], "client_secret": app["client_secret"],
              "scope": "read write"},
    ).json()["access_token"]  # fmt: skip
    auth = {"Authorization": f"Bearer {token}"}
    assert member.post("/api/v1/statuses", data={"status": "from an app"}, headers=auth).is_success
    assert member.get("/api/v1/timelines/home", headers=auth).is_success
    assert member.get("/api/v1/no/such/thing").status_code == 404
    # A WebSocket stream, the token in its query as some apps send it: uvicorn logs the
    # handshake, with neither the address nor the token.
    port = int(str(member.base_url).rsplit(":", 1)[1].rstrip("/"))
    with connect(
        f"ws://127.0.0.1:{port}/api/v1/streaming?stream=user&access_token={token}",
        additional_headers={"X-Forwarded-For": FORWARDED},
        source_address=(MEMBER_ADDRESS, 0),
    ) as socket:
        socket.send('{"type": "subscribe", "stream": "public"}')
    STREAM_TOKENS.append(token)


def raw_bytes(database_url: str) -> bytes:
    """The database as stored: SQLite's file with its journal; on PostgreSQL every page of
    every table, index and TOAST table (with free space and rows deleted but not yet
    vacuumed), read with the pageinspect extension."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(f.read_bytes() for f in path.parent.glob(f"{path.name}*"))
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        relations = connection.execute(
            "SELECT c.oid::regclass::text,"
            " pg_relation_size(c.oid) / current_setting('block_size')::int"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'i', 't', 'm')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        return b"".join(
            bytes(connection.execute("SELECT get_raw_page(%s, %s)", (name, page)).fetchone()[0])
            for name, pages in relations
            for page in range(pages)
        )


def everything_stored(database_url: str) -> str:
    """Every row of every table, as text."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return "\n".join(
                repr(row)
                for table in Base.metadata.sorted_tables
                for row in connection.execute(select(table))
            )
    finally:
        engine.dispose()
