"""Small thread pools of their own for heavy CPU work (argon2, image decoding).

Such work must not run on the event loop, and in the shared default pool a storm of it would
starve everything else that uses that pool. A pool of its own also bounds how many run at
once, and so the memory they take together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Pool:
    """At most `workers` jobs at once; the others queue."""

    def __init__(self, workers: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` in this pool and wait for its result."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)
