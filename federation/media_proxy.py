"""The media proxy: remote attachments, avatars and headers, fetched by the node and served
from its own URL, so a reader's device never contacts another server.

Only a URL the node stored from a remote object it accepted is ever fetched (the caller
looks it up by id: this is no open proxy), through the SSRF-safe `Transport`, within a size
cap, a deadline and an allow-list of image, video and audio types, FETCHES_AT_ONCE at a
time. What came is kept in a bounded on-disk cache, the least recently served files leaving
first; what failed is not asked again for FAILED_FOR.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.hostnames import InvalidHost, host_of
from federation.transport import FetchError, Transport
from moderation.policy import FederationMode, may_fetch_media_from

log = logging.getLogger("harbour.media_proxy")

MAX_BYTES = 16 * 1024 * 1024  # Mastodon's own image limit; a larger file is refused
DEADLINE = 15.0  # a whole fetch, however slowly a server sends
FETCHES_AT_ONCE = 8  # at most 8 × MAX_BYTES held in memory, however many files pages show
FAILED_FOR = 300.0  # a URL that failed is not fetched again for this long
MAX_FAILED = 10_000
TOUCH_AFTER = 3600.0  # a file served is marked recent at most once an hour (one write)
KEEP_AFTER_EVICTION = 0.9  # eviction leaves the cache at 90% of its cap
# What is fetched and served, by media type (never SVG, HTML or anything a browser runs).
TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/webm": "weba",
    "audio/wav": "wav",
    "audio/flac": "flac",
}
BY_EXTENSION = {extension: media_type for media_type, extension in TYPES.items()}
ACCEPT = ", ".join(TYPES)


class Refused(Exception):
    """The file is not served: not allowed, unreachable, too big or of a refused type."""


@dataclass(frozen=True)
class Cached:
    """A remote file in the cache: where it is and its media type."""

    path: Path
    media_type: str


async def may_fetch(session: AsyncSession, url: str, mode: FederationMode) -> bool:
    """Whether files at `url` may be fetched (`policy.may_fetch_media_from` its server)."""
    try:
        host = host_of(url)
    except InvalidHost:
        return False
    return await may_fetch_media_from(session, host, mode)


class MediaProxy:
    """Fetches remote files into `directory` and finds them there; at most `max_bytes` kept."""

    def __init__(self, transport: Transport, directory: Path, max_bytes: int) -> None:
        self.transport = transport
        self.directory = directory
        self.max_bytes = max_bytes
        self._held: int | None = None  # bytes in the cache, as last counted plus added since
        self._failed: dict[str, float] = {}  # URL digest -> not asked again until (monotonic)
        self._fetching: dict[str, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(FETCHES_AT_ONCE)

    async def aclose(self) -> None:
        """Close the transport's pooled connections."""
        await self.transport.aclose()

    async def get(self, url: str) -> Cached:
        """The file at `url`, from the cache or fetched now; `Refused` if it cannot be had."""
        key = hashlib.sha256(url.encode()).hexdigest()
        found = await asyncio.to_thread(self._find, key)
        if found is not None:
            return found
        lock = self._fetching.setdefault(key, asyncio.Lock())
        try:
            async with lock:  # one fetch of a file, however many readers ask at once
                found = await asyncio.to_thread(self._find, key)
                return found if found is not None else await self._fetch(key, url)
        finally:
            if not lock.locked():
                self._fetching.pop(key, None)

    async def _fetch(self, key: str, url: str) -> Cached:
        if self._failed.get(key, 0.0) > time.monotonic():
            raise Refused("it failed a moment ago")
        try:
            async with self._slots, asyncio.timeout(DEADLINE):
                fetched = await self.transport.get_bytes(url, ACCEPT)
        except (FetchError, TimeoutError) as error:
            self._fail(key)
            log.info("media proxy: not fetched: %s", str(error) or "timed out")
            raise Refused(str(error)) from None
        media_type = fetched.content_type.partition(";")[0].strip().lower()
        extension = TYPES.get(media_type)
        if extension is None or not fetched.body:
            self._fail(key)
            log.info("media proxy: refused a file of type %r", media_type[:80])
            raise Refused(f"a file of type {media_type!r} is not served")
        path = await asyncio.to_thread(self._store, key, extension, fetched.body)
        return Cached(path, media_type)

    def _fail(self, key: str) -> None:
        self._failed.pop(key, None)
        self._failed[key] = time.monotonic() + FAILED_FOR
        while len(self._failed) > MAX_FAILED:
            del self._failed[next(iter(self._failed))]  # the oldest

    def _find(self, key: str) -> Cached | None:
        """The cached file for `key`, marked as recently served."""
        for extension, media_type in BY_EXTENSION.items():
            path = self.directory / f"{key}.{extension}"
            try:
                modified = path.stat().st_mtime
            except FileNotFoundError:
                continue
            if time.time() - modified > TOUCH_AFTER:
                os.utime(path)
            return Cached(path, media_type)
        return None

    def _store(self, key: str, extension: str, body: bytes) -> Path:
        """Write the file whole (under a temporary name, then renamed: a reader in another
        process never sees half of it), then evict the oldest if the cache is over its cap."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key}.{extension}"
        partial = self.directory / f".{key}.{secrets.token_hex(4)}"
        partial.write_bytes(body)
        os.replace(partial, path)
        self._held = (self._count() if self._held is None else self._held) + len(body)
        if self._held > self.max_bytes:
            self._held = self._evict()
        return path

    def _count(self) -> int:
        return sum(entry.stat().st_size for entry in os.scandir(self.directory) if entry.is_file())

    def _evict(self) -> int:
        """Delete the least recently served files until the cache holds KEEP_AFTER_EVICTION of
        its cap; returns the bytes left. Other processes of the node share the folder: a file
        one of them is sending stays readable until it is sent (POSIX unlink)."""
        files = []
        for entry in os.scandir(self.directory):
            if entry.is_file() and not entry.name.startswith("."):
                stat = entry.stat()
                files.append((stat.st_mtime, stat.st_size, entry.path))
        held = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if held <= self.max_bytes * KEEP_AFTER_EVICTION:
                break
            Path(path).unlink(missing_ok=True)
            held -= size
        return held
