"""Block and Undo Block from remote accounts."""

from __future__ import annotations

from content import accounts
from federation.handlers.incoming import Incoming
from moderation import account_blocks


async def on_block(incoming: Incoming) -> None:
    """A remote account blocks a local one: follows end both ways, and it is kept apart."""
    target = await accounts.get_by_uri(incoming.session, incoming.object_id or "")
    if target is not None and target.is_local:
        await account_blocks.block(
            incoming.session, incoming.actor, target, uri=incoming.activity["id"]
        )


async def on_undo(incoming: Incoming) -> None:
    """The block is lifted."""
    original = incoming.object
    target_uri = original.get("object") if isinstance(original, dict) else None
    target = await accounts.get_by_uri(incoming.session, str(target_uri))
    if target is not None and target.is_local:
        await account_blocks.unblock(incoming.session, incoming.actor, target)
