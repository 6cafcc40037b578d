"""Idempotency-Key on POST /api/v1/statuses: a retried post is posted once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from content.idempotency import IdempotencyKey
from content.orm import utcnow
from node.state import Services
from tests.rig.members import Member, member, members

pytestmark = pytest.mark.anyio


async def post_with_key(client: httpx.AsyncClient, who: Member, text: str, key: str) -> str:
    headers = {**who.headers, "Idempotency-Key": key}
    response = await client.post("/api/v1/statuses", data={"status": text}, headers=headers)
    assert response.status_code == 200, response.text
    posted: str = response.json()["id"]
    return posted


async def test_the_same_key_from_the_same_account_posts_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await members(services, "alice", "bob")
    first = await post_with_key(client, alice, "Meeting moved to 6pm", "key-1")
    assert await post_with_key(client, alice, "Meeting moved to 6pm", "key-1") == first
    assert await post_with_key(client, alice, "Another post", "key-2") != first
    assert await post_with_key(client, bob, "Bob's own", "key-1") != first
    home = await client.get("/api/v1/timelines/home", headers=alice.headers)
    assert [s["content"] for s in home.json()] == [
        "<p>Another post</p>",
        "<p>Meeting moved to 6pm</p>",
    ]

    await client.delete(f"/api/v1/statuses/{first}", headers=alice.headers)
    assert await post_with_key(client, alice, "Meeting moved to 6pm", "key-1") != first


async def test_a_key_older_than_an_hour_posts_again(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice = await member(services, "alice")
    first = await post_with_key(client, alice, "Reminder", "key-1")
    async with services.sessions() as session, session.begin():
        await session.execute(
            update(IdempotencyKey).values(created_at=utcnow() - timedelta(minutes=61))
        )
    second = await post_with_key(client, alice, "Reminder", "key-1")
    assert second != first
    assert await post_with_key(client, alice, "Reminder", "key-1") == second


async def test_two_requests_with_one_key_at_the_same_time_post_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice = await member(services, "alice")
    ids = await asyncio.gather(
        *(post_with_key(client, alice, "Are you coming?", "same-time") for _ in range(3))
    )
    assert len(set(ids)) == 1
    home = await client.get("/api/v1/timelines/home", headers=alice.headers)
    assert [s["id"] for s in home.json()] == ids[:1]
