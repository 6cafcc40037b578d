"""The media proxy's cache: bounded by size, the least recently served file leaving first, one
fetch however many readers ask at once."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from pathlib import Path

import httpx
import pytest

from federation.media_proxy import MAX_BYTES, MediaProxy, Refused
from federation.transport import Transport, TransportPolicy

pytestmark = pytest.mark.anyio
FILE = 1000  # bytes each picture has


class Pictures:
    """remote.example's pictures, every one FILE bytes; requests are counted by path."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.path)
        if request.url.path.endswith(".svg"):
            return httpx.Response(200, content=b"<svg/>", headers={"content-type": "image/svg+xml"})
        return httpx.Response(200, content=b"x" * FILE, headers={"content-type": "image/jpeg"})


def proxy(folder: Path, pictures: Pictures, files_kept: int) -> MediaProxy:
    transport = Transport(
        TransportPolicy(static_hosts={"remote.example": "93.184.216.34"}),
        user_agent="test",
        transport=httpx.MockTransport(pictures.handle),
        max_response_bytes=MAX_BYTES,
    )
    return MediaProxy(transport, folder, files_kept * FILE)


def url(name: str) -> str:
    return f"https://remote.example/files/{name}.jpg"


async def test_the_cache_keeps_the_recently_served_within_its_cap(tmp_path: Path) -> None:
    pictures = Pictures()
    cache = proxy(tmp_path, pictures, files_kept=3)
    for name in ("a", "b", "c"):
        await cache.get(url(name))
    for path in tmp_path.iterdir():  # all served two hours ago, "a" the longest ago
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    os.utime((await cache.get(url("a"))).path)  # "a" served again now

    await cache.get(url("d"))  # over the cap: evicted to 90% of it, oldest first

    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= 3 * FILE
    kept = {name for name in "abcd" if (tmp_path / f"{digest(name)}.jpg").exists()}
    assert kept == {"a", "d"}
    await cache.aclose()


def digest(name: str) -> str:
    """The cache's name for a picture's file: the SHA-256 of its URL."""
    return hashlib.sha256(url(name).encode()).hexdigest()


async def test_one_fetch_for_many_readers_and_refusals_are_remembered(tmp_path: Path) -> None:
    pictures = Pictures()
    cache = proxy(tmp_path, pictures, files_kept=10)

    found = await asyncio.gather(*(cache.get(url("same")) for _ in range(5)))
    assert len({f.path for f in found}) == 1 and pictures.asked == ["/files/same.jpg"]

    svg = "https://remote.example/files/logo.svg"
    for _ in range(2):
        with pytest.raises(Refused):
            await cache.get(svg)
    assert pictures.asked.count("/files/logo.svg") == 1  # not asked again for a while
    assert [p.suffix for p in tmp_path.iterdir()] == [".jpg"]
    await cache.aclose()
