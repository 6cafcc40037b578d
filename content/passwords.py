"""Argon2 off the event loop: checks run in a pool of their own, two at a time.

One argon2 check costs ~50 ms of CPU and 64 MiB. On the event loop, every other request waits
for it; in the default thread pool, a storm of sign-ins would also starve the name lookups and
file work that share it."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from content.pools import Pool

hasher = PasswordHasher()
off_loop = Pool(2, "argon2").run  # argon2 work, two at a time


def matches(stored: str, password: str) -> bool:
    """Whether `password` matches the argon2 hash `stored` (a blocking call: use `off_loop`)."""
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
