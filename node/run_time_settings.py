"""The node settings an admin may change while it runs (`moderation.switches.SETTINGS`):
each as last turned on `/admin` or with `harbour setting`, else as the configuration says."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from moderation import switches
from moderation.switches import Switch
from node.settings import Settings


async def is_on(session: AsyncSession, settings: Settings, switch: Switch) -> bool:
    """Whether the setting is on now."""
    return await switches.value(session, switch, _configured(settings, switch))


async def turn(
    session: AsyncSession, settings: Settings, switch: Switch, on: bool, actor: Account | None
) -> bool:
    """Change a setting for every process of the node (audited); False if it already was so."""
    return await switches.turn(session, switch, on, actor, configured=_configured(settings, switch))


def _configured(settings: Settings, switch: Switch) -> bool:
    """The value in the configuration, a field of the same name."""
    assert switch in switches.SETTINGS, f"{switch} is not a run-time setting"
    return bool(getattr(settings, str(switch)))
