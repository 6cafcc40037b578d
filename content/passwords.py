"""Argon2 off the event loop: checks run in a pool of their own, two at a time.

One argon2 check costs ~50 ms of CPU and 64 MiB. On the event loop, every other request waits
for it; in the default thread pool, a storm of sign-ins would also starve the name lookups and
file work that share it. A small pool of its own bounds both time and memory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

WORKERS = 2
hasher = PasswordHasher()
_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="argon2")
T = TypeVar("T")


async def off_loop(work: Callable[[], T]) -> T:
    """Run argon2 work in the password pool (queued when both workers are busy)."""
    return await asyncio.get_running_loop().run_in_executor(_pool, work)


def matches(stored: str, password: str) -> bool:
    """Whether `password` matches the argon2 hash `stored` (a blocking call: use `off_loop`)."""
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
