"""Inbox POSTs answered ahead of the pages' middleware (`node.api.inbox.InboxFirst`): still
capped, still carrying the headers every answer carries, and only on real inbox paths."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from node.api import inbox as inbox_api

pytestmark = pytest.mark.anyio
TOO_LARGE = {"error": "the request body is larger than 1048576 bytes"}


async def test_an_inbox_body_over_the_cap_is_refused(client: httpx.AsyncClient) -> None:
    declared = await client.post("/inbox", content=b"x" * 1_100_000)
    assert declared.status_code == 413 and declared.json() == TOO_LARGE

    async def trickled() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(20):
            yield b"x" * 60_000

    streamed = await client.post("/users/alice/inbox", content=trickled())
    assert streamed.status_code == 413 and streamed.json() == TOO_LARGE


async def test_inbox_answers_carry_the_headers_every_answer_carries(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/actor/inbox", content=b"not json")
    assert response.status_code == 400 and "error" in response.json()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_only_inbox_paths_are_answered_as_inboxes(client: httpx.AsyncClient) -> None:
    unsigned = {"id": "https://a.example/1", "type": "Create", "actor": "https://a.example/u"}
    refused = await client.post("/users/alice/inbox", json=unsigned)  # by the inbox's checks
    assert refused.status_code in (401, 403) and refused.json()["error"]
    assert (await client.post("/users//inbox", json=unsigned)).status_code == 404
    assert (await client.post("/users/alice/inbox/x", json=unsigned)).status_code == 404
    for method in ("GET", "HEAD", "PUT"):
        answer = await client.request(method, "/users/alice/inbox")
        assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert (await client.get("/inbox")).json() == {"error": "an inbox takes only POST"}


async def test_an_inbox_body_that_trickles_is_refused_in_time(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_api, "BODY_SECONDS", 0.2)

    async def stalled() -> AsyncIterator[bytes]:
        yield b'{"type": "Create", '
        await asyncio.sleep(30)  # a sender holding its connection open (slowloris)
        yield b'"actor": "https://remote.example/users/eve"}'

    answer = await client.post("/inbox", content=stalled())
    assert answer.status_code == 408  # not after the 30 s stall, when it would be 401
    assert answer.json() == {"error": "the request body did not arrive within 10 seconds"}
