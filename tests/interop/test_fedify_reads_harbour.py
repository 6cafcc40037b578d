"""Fedify, an independent ActivityPub implementation, reads a running Harbour node strictly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import accounts
from node.database import create_engine, create_sessionmaker
from tests.rig import world
from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.processes]


async def test_fedify_parses_actor_key_outbox_and_nodeinfo(
    fedify: Path, sqlite_databases: SQLiteDatabases, tmp_path: Path
) -> None:
    url = sqlite_databases.create()
    node = NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=url)
    node.extra_env["HARBOUR_AUTHORIZED_FETCH"] = "false"  # Fedify's lookup is unsigned
    node.start()
    try:
        engine = create_engine(url)
        sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            admin = await accounts.get_local(session, "admin")
            assert admin is not None
            await world.post(session, admin, "Clinic hours: Monday & Thursday")
        await engine.dispose()

        looked_up = subprocess.run(
            ["node", "lookup.mjs", node.base_url, "admin"],
            cwd=fedify,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        node.stop()
    assert looked_up.returncode == 0, looked_up.stderr
    seen = json.loads(looked_up.stdout)
    assert seen["actor"] == {
        "type": "Person",
        "id": f"{node.base_url}/users/admin",
        "preferredUsername": "admin",
        "inbox": f"{node.base_url}/users/admin/inbox",
        "outbox": f"{node.base_url}/users/admin/outbox",
        "sharedInbox": f"{node.base_url}/inbox",
        "followers": f"{node.base_url}/users/admin/followers",
        "manuallyApprovesFollowers": True,
    }
    assert seen["publicKey"] == {
        "id": f"{node.base_url}/users/admin#main-key",
        "owner": f"{node.base_url}/users/admin",
        "algorithm": "RSASSA-PKCS1-v1_5",
    }
    assert seen["outbox"] == {
        "totalItems": 1,
        "contents": ["<p>Clinic hours: Monday &amp; Thursday</p>"],
    }
    assert seen["nodeInfo"] == {
        "software": "harbour",
        "protocols": ["activitypub"],
        "openRegistrations": False,
        "users": 1,
    }
