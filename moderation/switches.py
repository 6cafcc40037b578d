"""Switches an admin turns for the whole node at run time, without a restart: each a row
shared by every process of the node (`NodeSwitch`). A switch never turned keeps the value
the node's configuration gives it; once turned, the row says.

Lockdown is one (`moderation.lockdown`); the node settings that are safe to change while it
runs are the others: whether newcomers wait for approval, and whether signed-out visitors
may suggest corrections."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, utcnow
from moderation import audit


class Switch(StrEnum):
    """The switches, by the name their row has."""

    LOCKDOWN = "lockdown"
    REGISTRATION_APPROVAL = "registration_approval"
    CORRECTIONS_FROM_VISITORS = "corrections_from_visitors"


# The node settings an admin may change at run time (lockdown has its own form and command).
SETTINGS = (Switch.REGISTRATION_APPROVAL, Switch.CORRECTIONS_FROM_VISITORS)


class NodeSwitch(Base):
    """A switch an admin turns for the whole node, at run time."""

    __tablename__ = "node_switches"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    on: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


async def value(session: AsyncSession, switch: Switch, configured: bool = False) -> bool:
    """Whether the switch is on: as last turned (in this session too), else as
    `configured`. Read from the table, not as a `NodeSwitch`: loading a mapped class
    configures every mapper (~50 ms), and each process reads lockdown as it starts."""
    await session.flush()  # a turn of this session, not yet written
    switches = NodeSwitch.__table__.c
    on = await session.scalar(select(switches.on).where(switches.name == str(switch)))
    return configured if on is None else on


async def turn(
    session: AsyncSession,
    switch: Switch,
    on: bool,
    actor: Account | None,
    reason: str = "",
    *,
    configured: bool = False,
) -> bool:
    """Turn a switch on or off (in the caller's transaction, audited as
    "NAME on"/"NAME off"); False if it already was so."""
    row = await session.get(NodeSwitch, str(switch))
    if (configured if row is None else row.on) == on:
        return False
    if row is None:
        session.add(NodeSwitch(name=str(switch), on=on))
    else:
        row.on, row.changed_at = on, utcnow()
    audit.record(session, actor, f"{switch} {'on' if on else 'off'}", "", reason)
    return True
