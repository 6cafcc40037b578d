"""Sign-ins under load: checking passwords never stops the node answering other requests."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from content.passwords import hasher

pytestmark = pytest.mark.anyio


async def test_checking_many_passwords_never_blocks_the_event_loop(
    client: httpx.AsyncClient,
) -> None:
    stored = hasher.hash("the right password")
    started = time.perf_counter()
    assert hasher.verify(stored, "the right password")
    one_check = time.perf_counter() - started  # on this machine, now

    async def wrong_sign_in(n: int) -> int:
        answer = await client.post("/login", data={"username": f"nobody{n}", "password": "x"})
        return answer.status_code

    # One sign-in first, so templates, catalogues and connections are made before measuring.
    assert await wrong_sign_in(-1) == 401
    gaps: list[float] = []

    async def heartbeat() -> None:  # what any other request would wait for the loop
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            gaps.append(time.perf_counter() - before)

    beating = asyncio.create_task(heartbeat())
    answers = await asyncio.gather(*(wrong_sign_in(n) for n in range(8)))
    beating.cancel()
    assert answers == [401] * 8
    # With argon2 on the event loop, the loop stood still for a whole check at least; off
    # it, a pause that long would take a loaded machine (a margin for shared CI cores).
    assert max(gaps) < one_check * 0.9
