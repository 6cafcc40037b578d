"""Argon2 off the event loop: checks run in a pool of their own, two at a time.

One argon2 check costs ~50 ms of CPU and 64 MiB. On the event loop, every other request waits
for it; in the default thread pool, a storm of sign-ins would also starve the name lookups and
file work that share it."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from content.pools import Pool

hasher = PasswordHasher()


def quick_hasher() -> PasswordHasher:
    """argon2id at its smallest cost, for tests only: the suite hashes hundreds of passwords,
    in its own process (tests/conftest.py) and in the nodes it starts. A hash keeps its
    parameters, so it is checked at its own cost."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def use_test_cost() -> None:
    """Hash at the tests' cost from now on in this process: HARBOUR_TEST_QUICK_PASSWORDS,
    honoured only in development."""
    global hasher
    hasher = quick_hasher()


off_loop = Pool(2, "argon2").run  # argon2 work, two at a time


def matches(stored: str, password: str) -> bool:
    """Whether `password` matches the argon2 hash `stored` (a blocking call: use `off_loop`)."""
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
