"""A real `harbour serve` on loopback, discovered the way another server discovers it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType, parse_actor, self_link
from content import accounts
from tests.rig import world
from tests.rig.nodes import NodeProcess, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.processes]
AP = {"Accept": "application/activity+json"}


def _finger(http: httpx.Client, node: NodeProcess, name: str) -> str:
    response = http.get("/.well-known/webfinger", params={"resource": f"acct:{name}@{node.domain}"})
    assert response.status_code == 200, response.text
    return self_link(response.json())


async def test_webfinger_actor_and_outbox_over_http(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    node = NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=database_url)
    node.extra_env["HARBOUR_AUTHORIZED_FETCH"] = "false"  # this test GETs documents unsigned
    node.start()
    try:
        printed = node.output()
        username = re.search(r"nickname: (\S+)", printed)
        password = re.search(r"password: (\S+)", printed)
        assert username and password, printed
        async with sessions() as session, session.begin():
            admin = await accounts.get_local(session, username[1])
            assert admin is not None
            for text in ("first post", "second post", "third post"):
                await world.post(session, admin, text)

        with httpx.Client(base_url=node.base_url, timeout=10) as http:
            actor_uri = _finger(http, node, username[1])
            assert actor_uri == f"{node.base_url}/users/{username[1]}"
            actor = parse_actor(http.get(actor_uri, headers=AP).json())
            assert actor.type == ActorType.PERSON
            outbox = http.get(actor.outbox, headers=AP).json()
            assert outbox["totalItems"] == 3
            page = http.get(outbox["first"], headers=AP).json()
            assert [item["object"]["content"] for item in page["orderedItems"]] == [
                "<p>third post</p>",
                "<p>second post</p>",
                "<p>first post</p>",
            ]

            organisation = parse_actor(
                http.get(_finger(http, node, "organisation"), headers=AP).json()
            )
            assert organisation.type == ActorType.ORGANIZATION
            instance = parse_actor(http.get(f"{node.base_url}/actor", headers=AP).json())
            assert instance.type == ActorType.APPLICATION

            signed_in = http.post("/login", data={"username": username[1], "password": password[1]})
            assert signed_in.status_code == 303
            assert f"signed in as <strong>@{username[1]}</strong>" in http.get("/").text
    finally:
        node.stop()
    assert "Application shutdown complete" in node.output()  # stopped cleanly on SIGTERM
