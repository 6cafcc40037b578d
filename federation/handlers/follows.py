"""Follow, Accept, Reject and Undo Follow."""

from __future__ import annotations

from typing import Any

from activitypub.hostnames import host_of
from content import accounts, groups, mirrors, relationships
from content.relationships import FollowState
from federation import inbox, outbox
from federation.handlers.incoming import Incoming
from moderation import account_blocks, member_domain_blocks, policy


async def on_follow(incoming: Incoming) -> None:
    """A remote account asks to follow a local one: auto-accepted unless the account
    approves followers by hand or the follower (or its server) is limited; refused at once
    if the local account blocks it or its server (as Mastodon does), or it is a group that
    bans it or is local-only."""
    target = await _local_target(incoming, incoming.object_id)
    if target is None:
        return
    session, actor = incoming.session, incoming.actor
    space = await groups.get(session, target)
    blocked = (
        await account_blocks.is_blocked_by(session, actor, target)
        or await member_domain_blocks.blocks_server_of(session, target, actor)
        or (space is not None and await groups.refuses(session, space, actor) is not None)
    )
    limited = actor.silenced_at is not None or await policy.is_limited(session, host_of(actor.uri))
    accepted = not blocked and not target.manually_approves_followers and not limited
    follow = await relationships.add_follow(
        session, actor, target, uri=incoming.activity["id"], accepted=accepted
    )
    if blocked:
        await outbox.answer_follow(incoming.fed, session, target, follow, accept=False)
    elif accepted:
        await outbox.answer_follow(incoming.fed, session, target, follow, accept=True)
    elif space is not None:
        await groups.tell_moderators(session, target, follow)


async def on_accept(incoming: Incoming) -> bool:
    """Our follow was accepted by the account it asked; what the account sent before the
    Accept and was held back (an organisation's listings) is applied now. Whether a follow
    waiting for it was accepted now (not one accepted already, nor anything else)."""
    follow = await _our_follow(incoming)
    if follow is None or follow.state == FollowState.ACCEPTED:
        return False
    follow.state = FollowState.ACCEPTED
    await inbox.wake_waiting(incoming.session, incoming.actor.id)
    return True


async def on_reject(incoming: Incoming) -> None:
    """Our follow was refused (or a follower was removed): the follow ends."""
    follow = await _our_follow(incoming)
    if follow is not None:
        await incoming.session.delete(follow)
        await mirrors.forget_if_unfollowed(incoming.session, incoming.actor)


async def on_undo(incoming: Incoming) -> None:
    """A remote follower unfollows, or withdraws its request."""
    original = incoming.object
    target_uri = original.get("object") if isinstance(original, dict) else None
    follow = await relationships.get_follow_by_uri(
        incoming.session, incoming.object_id or "", follower=incoming.actor
    )
    if follow is not None:
        await incoming.session.delete(follow)
        return
    target = await _local_target(incoming, target_uri if isinstance(target_uri, str) else None)
    if target is not None:
        await relationships.remove_follow(incoming.session, incoming.actor, target)


async def _our_follow(incoming: Incoming) -> Any:
    return await relationships.get_follow_by_uri(
        incoming.session, incoming.object_id or "", followed=incoming.actor
    )


async def _local_target(incoming: Incoming, uri: str | None) -> Any:
    if not uri or not incoming.fed.is_local(uri):
        return None
    target = await accounts.get_by_uri(incoming.session, uri)
    return target if target is not None and target.is_local and not target.is_gone else None
