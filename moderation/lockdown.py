"""Lockdown: one switch for the day a node is attacked. While it is on, federation is
narrowed to the servers on the allowlist (whatever the node's federation mode), every fetch
of this node's documents must be signed, nobody can join, and no remote media is fetched.
Turning it off restores exactly what was before, because lockdown changes no setting: it is
a flag the policy reads on top of them. Both turns are in the audit log.

The flag is a row shared by every process of the node; each process follows it within
`FOLLOW_SECONDS` (`follow`), and the process that turns it follows at once; the inbox and
the worker's check before applying an item follow it at once in every process, as turning
it moves the policy's generation on (`moderation.verdicts`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content.accounts import Account
from moderation import switches
from moderation.switches import Switch

log = logging.getLogger("harbour.lockdown")
FOLLOW_SECONDS = 1.0


class Follower(Protocol):
    """What keeps the flag: the node's federation runtime."""

    lockdown: bool


async def is_on(session: AsyncSession) -> bool:
    """Whether the node is in lockdown now."""
    return await switches.value(session, Switch.LOCKDOWN)


async def turn(session: AsyncSession, on: bool, actor: Account | None, reason: str = "") -> bool:
    """Turn lockdown on or off (in the caller's transaction, audited as "lockdown on" or
    "lockdown off"); False if it already was so."""
    return await switches.turn(session, Switch.LOCKDOWN, on, actor, reason)


async def follow(sessions: async_sessionmaker[AsyncSession], runtime: Follower) -> None:
    """Keep `runtime.lockdown` as the database says, until cancelled."""
    while True:
        try:
            async with sessions() as session:
                now = await is_on(session)
            if now != runtime.lockdown:
                log.info("lockdown is now %s", "on" if now else "off")
            runtime.lockdown = now
        except Exception as error:  # a database hiccup: keep the last known state
            log.warning("reading the lockdown switch failed: %s", type(error).__name__)
        await asyncio.sleep(FOLLOW_SECONDS)
