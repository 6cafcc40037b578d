"""Argon2 off the event loop: checks run in a pool of their own, two at a time.

One argon2 check costs ~50 ms of CPU and 64 MiB. On the event loop, every other request waits
for it; in the default thread pool, a storm of sign-ins would also starve the name lookups and
file work that share it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from content.pools import Pool

if TYPE_CHECKING:
    from argon2 import PasswordHasher


class LazyHasher:
    """argon2's PasswordHasher at its full cost, made on the first password hashed or
    checked: argon2 and its cffi binding (~0.4 MiB) are not imported at start-up."""

    def __init__(self) -> None:
        self._made: PasswordHasher | None = None

    def _hasher(self) -> PasswordHasher:
        if self._made is None:
            from argon2 import PasswordHasher

            self._made = PasswordHasher()
        return self._made

    def hash(self, password: str) -> str:
        return self._hasher().hash(password)

    def verify(self, stored: str, password: str) -> bool:
        return self._hasher().verify(stored, password)

    def check_needs_rehash(self, stored: str) -> bool:
        return self._hasher().check_needs_rehash(stored)


hasher: PasswordHasher | LazyHasher = LazyHasher()


def quick_hasher() -> PasswordHasher:
    """argon2id at its smallest cost, for tests only: the suite hashes hundreds of passwords,
    in its own process (tests/conftest.py) and in the nodes it starts. A hash keeps its
    parameters, so it is checked at its own cost."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def use_test_cost() -> None:
    """Hash at the tests' cost from now on in this process: HARBOUR_TEST_QUICK_PASSWORDS,
    honoured only in development."""
    global hasher
    hasher = quick_hasher()


off_loop = Pool(2, "argon2").run  # argon2 work, two at a time


def matches(stored: str, password: str) -> bool:
    """Whether `password` matches the argon2 hash `stored` (a blocking call: use `off_loop`)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
