"""Update and Delete of remote actors."""

from __future__ import annotations

from sqlalchemy import delete

from activitypub import InvalidDocument, parse_actor
from content import accounts
from content.orm import utcnow
from content.posts import Post
from content.relationships import Follow
from federation.handlers.incoming import Incoming


async def on_update(incoming: Incoming) -> None:
    """A remote actor changed its profile or key; only the actor itself may say so."""
    document = incoming.object
    if not isinstance(document, dict) or document.get("id") != incoming.actor.uri:
        return
    try:
        actor = parse_actor(document)
    except InvalidDocument:
        return
    await accounts.upsert_remote(incoming.session, actor, incoming.actor.domain or "")


async def on_delete(incoming: Incoming) -> None:
    """A remote account was deleted: its posts and follows here go, the row stays marked."""
    account = incoming.actor
    session = incoming.session
    await session.execute(delete(Post).where(Post.account_id == account.id))
    await session.execute(
        delete(Follow).where(
            (Follow.follower_id == account.id) | (Follow.followed_id == account.id)
        )
    )
    account.deleted_at = utcnow()
