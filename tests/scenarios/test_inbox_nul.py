"""A document with a NUL character in a string, which PostgreSQL cannot store, is refused
when it is read (`activitypub.jsonld.read_json`): before, a signed activity whose type held
one was answered 500 with a traceback in the log on PostgreSQL, and a note whose content
warning held one was accepted and then failed at every attempt. A backslash followed by
`u0000` as text is no NUL and is kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from activitypub.actors import Actor, PublicKey
from content import accounts
from content.posts import Post
from tests.rig.keys import keypair_for_tests
from tests.rig.nodes import NodeProcess, loopback_client, open_node, read_database, settle
from tests.rig.signing import mention, signed_post

pytestmark = pytest.mark.processes
EVE = "https://remote.example/users/eve"


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[NodeProcess]:
    """A node that knows eve of remote.example (her key stored, nothing fetched)."""
    found = open_node(database_url, tmp_path / "n", "sam")

    async def eve(session: AsyncSession) -> None:
        key = PublicKey(id=f"{EVE}#main-key", owner=EVE, pem=keypair_for_tests(3).public_pem)
        actor = Actor(EVE, ActorType.PERSON, "eve", f"{EVE}/inbox", None, key)
        await accounts.upsert_remote(session, actor, "remote.example")
        await session.commit()

    read_database(found, eve)
    yield found
    found.stop()


def note(node: NodeProcess, number: int, **fields: Any) -> dict[str, Any]:
    return mention(EVE, number, f"{node.base_url}/users/sam", **fields)


def post(node: NodeProcess, activity: dict[str, Any]) -> httpx.Response:
    headers, body = signed_post(
        "/users/sam/inbox",
        activity,
        host=node.domain,
        key_id=f"{EVE}#main-key",
        private_pem=keypair_for_tests(3).private_pem,
    )
    with loopback_client(base_url=f"http://127.0.0.1:{node.port}") as http:
        return http.post("/users/sam/inbox", content=body, headers=headers)


def test_an_activity_with_a_nul_is_refused_and_a_backslash_u0000_kept(node: NodeProcess) -> None:
    typed = {**note(node, 1), "type": "Create\u0000"}
    answer = post(node, typed)
    assert answer.status_code == 400
    assert "NUL" in answer.json()["error"]
    assert post(node, note(node, 2, summary="careful\u0000")).status_code == 400
    kept = note(node, 3, summary="a path: C:\\u0000")
    assert "\\\\u0000" in json.dumps(kept)  # an escaped backslash, then u0000: no NUL
    assert post(node, kept).status_code == 202
    settle(node)

    async def warnings(session: AsyncSession) -> dict[str, str]:
        return {p.uri: p.spoiler_text for p in await session.scalars(select(Post))}

    assert read_database(node, warnings) == {f"{EVE}/statuses/3": "a path: C:\\u0000"}


def test_an_activity_with_a_lone_surrogate_is_refused_and_the_queue_goes_on(
    node: NodeProcess,
) -> None:
    """A lone surrogate (`"\\ud800"` in the JSON text) is no character UTF-8 can hold: in an
    activity's type or id on SQLite it was stored as bytes no read could decode, and every
    claim of the inbox then failed on it, for every sender (attack20). An emoji written as
    an escaped pair is one character and is kept."""
    lone = post(node, {**note(node, 1), "type": "\ud800"})
    assert lone.status_code == 400
    assert "surrogate" in lone.json()["error"]
    activity = note(node, 2)
    assert post(node, {**activity, "id": activity["id"] + "\udfff"}).status_code == 400
    paired = note(node, 3, summary="careful \U0001f600")
    assert "\\ud83d\\ude00" in json.dumps(paired)  # the pair's escapes, as json.dumps sends it
    assert post(node, paired).status_code == 202
    assert post(node, note(node, 4)).status_code == 202
    settle(node)

    async def warnings(session: AsyncSession) -> dict[str, str]:
        return {p.uri: p.spoiler_text for p in await session.scalars(select(Post))}

    assert read_database(node, warnings) == {
        f"{EVE}/statuses/3": "careful \U0001f600",
        f"{EVE}/statuses/4": "",
    }
