"""Lockdown: one switch for the day a node is attacked. While it is on, federation is
narrowed to the servers on the allowlist (whatever the node's federation mode), every fetch
of this node's documents must be signed, nobody can join, and no remote media is fetched.
Turning it off restores exactly what was before, because lockdown changes no setting: it is
a flag the policy reads on top of them. Both turns are in the audit log.

The flag is a row shared by every process of the node; each process follows it within
`FOLLOW_SECONDS` (`follow`), and the process that turns it follows at once."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, utcnow
from moderation import audit

log = logging.getLogger("harbour.lockdown")
LOCKDOWN = "lockdown"
FOLLOW_SECONDS = 1.0


class NodeSwitch(Base):
    """A switch an admin turns for the whole node, at run time."""

    __tablename__ = "node_switches"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    on: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follower(Protocol):
    """What keeps the flag: the node's federation runtime."""

    lockdown: bool


async def is_on(session: AsyncSession) -> bool:
    """Whether the node is in lockdown now."""
    switch = await session.get(NodeSwitch, LOCKDOWN)
    return switch is not None and switch.on


async def turn(session: AsyncSession, on: bool, actor: Account | None, reason: str = "") -> bool:
    """Turn lockdown on or off (in the caller's transaction, audited); False if it already
    was so."""
    switch = await session.get(NodeSwitch, LOCKDOWN)
    if (switch is not None and switch.on) == on:
        return False
    if switch is None:
        session.add(NodeSwitch(name=LOCKDOWN, on=on))
    else:
        switch.on, switch.changed_at = on, utcnow()
    audit.record(session, actor, "lockdown on" if on else "lockdown off", "", reason)
    return True


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
