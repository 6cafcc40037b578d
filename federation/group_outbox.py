"""What members and moderators do in discussion groups, federated as FEP-1b12 says: a join
is a follow (a members-only group's waits for a moderator's answer), a post goes to the
group, and a local group `Announce`s it to its members' servers, in the same transaction
as the change (as `outbox.publish` does). Local-only groups never federate."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from content import group_threads, groups, posts, relationships
from content.accounts import Account
from content.group_threads import GroupPost
from content.groups import GroupVisibility, Space
from content.interface_text import N_
from content.posts import Post
from content.relationships import FollowState
from federation import addressing, delivery, group_wire, outbox
from federation.context import Federation
from federation.outbox import ActionError
from moderation import audit
from moderation.rate_limits import Action


async def join(fed: Federation, session: AsyncSession, member: Account, space: Space) -> None:
    """Become a member: a follow of the group (accepted at once by a local group)."""
    if why := await groups.refuses(session, space, member):
        raise ActionError(why)
    await outbox.follow(fed, session, member, space.account)


async def answer(
    fed: Federation,
    session: AsyncSession,
    moderator: Account,
    space: Space,
    asker: Account,
    *,
    accept: bool,
) -> None:
    """A moderator lets an account into a local group that approves its members, or refuses
    it; its server gets the `Accept` or `Reject`."""
    await _check_moderator(session, space, moderator)
    follow = await relationships.find_follow(session, asker, space.account)
    if follow is None or follow.state != FollowState.PENDING:
        raise ActionError(N_("there is no such request to join"))
    await outbox.answer_follow(fed, session, space.account, follow, accept=accept)
    audit.record(session, moderator, "group.accept" if accept else "group.reject", asker.uri)


async def leave(fed: Federation, session: AsyncSession, member: Account, space: Space) -> None:
    """Stop being a member (or withdraw the request)."""
    await outbox.unfollow(fed, session, member, space.account)


async def post(
    fed: Federation,
    session: AsyncSession,
    author: Account,
    space: Space,
    text: str,
    *,
    title: str = "",
    in_reply_to: Post | None = None,
) -> Post:
    """A member's new thread (with a title) or reply in a group. A local group announces it
    to its members' servers; a post to a remote group goes to that group's inbox."""
    group = space.account
    await fed.limits.take(Action.POST, str(author.id))
    if why := await groups.refuses(session, space, author):
        raise ActionError(why)
    if not await groups.is_member(session, group, author) and not await groups.is_moderator(
        session, group, author
    ):
        raise ActionError(N_("join the group to write in it"))
    thread = await _thread_of(session, group, in_reply_to)
    if thread is None and not title.strip():
        raise ActionError(N_("a new thread needs a title"))
    mentioned = []
    if in_reply_to is not None and in_reply_to.account_id != author.id:
        parent_author = await session.get(Account, in_reply_to.account_id)
        mentioned = addressing.addressable([parent_author] if parent_author else [])
    created = posts.create_local(
        session,
        author,
        text,
        visibility=space.post_visibility,
        in_reply_to=in_reply_to,
        mentioned=mentioned,
    )
    await session.flush()
    entry = group_threads.add_post(session, created, group, thread=thread, title=title)
    await session.flush()
    if space.federates:
        tags = await posts.tag_names(session, created)
        document = group_wire.note(created, author, group, entry, mentioned, tags)
        activity = group_wire.create(document, author)
        if group.is_local:
            await relay(fed, session, space, activity)
        else:
            remote = [group, *(a for a in mentioned if not a.is_local)]
            inboxes = await addressing.deliverable(fed, session, {a.delivery_inbox for a in remote})
            await delivery.enqueue(session, activity, author.id, inboxes)
    return created


async def relay(
    fed: Federation,
    session: AsyncSession,
    space: Space,
    activity: dict[str, Any],
    also: list[Account] | None = None,
) -> None:
    """The local group announces `activity` to its members' servers (and to `also`)."""
    if not space.federates or not space.account.is_local:
        return
    group = space.account
    public = space.visibility == GroupVisibility.PUBLIC
    announce = group_wire.announce(group, activity, public=public)
    inboxes = await addressing.for_followers_and(fed, session, group, also or [])
    await delivery.enqueue(session, announce, group.id, inboxes)


async def remove(
    fed: Federation,
    session: AsyncSession,
    moderator: Account,
    space: Space,
    target: Post,
    reason: str = "",
) -> None:
    """A moderator removes a post from a local group: it is deleted here, and the group
    announces the Delete so its members' servers drop their copies."""
    group = space.account
    await _check_moderator(session, space, moderator)
    entry = await group_threads.entry_of(session, target)
    if entry is None or entry.group_id != group.id:
        raise ActionError(N_("there is no such post in this group"))
    author = await session.get(Account, target.account_id)
    activity = group_wire.delete(moderator, group, target, reason)
    await relay(fed, session, space, activity, also=[author] if author else [])
    audit.record(session, moderator, "group.remove_post", target.uri, reason)
    if entry.thread_id == target.id:  # the whole thread goes with its opening post
        for reply, _ in await group_threads.thread_posts(session, entry, limit=None):
            if reply.id != target.id:
                await posts.delete_post(session, reply)
    await posts.delete_post(session, target)


async def ban(
    fed: Federation,
    session: AsyncSession,
    moderator: Account,
    space: Space,
    target: Account,
    reason: str = "",
) -> None:
    """A moderator bans an account from a local group: its membership ends, its follows and
    posts are refused, and its server gets a `Block` whose `target` is the group."""
    group = space.account
    await _check_moderator(session, space, moderator)
    if target.id == moderator.id or await groups.is_moderator(session, group, target):
        raise ActionError(N_("a moderator cannot be banned; remove them as moderator first"))
    await groups.ban(session, group, target)
    audit.record(session, moderator, "group.ban", target.uri, reason)
    if space.federates:
        activity = group_wire.block(group, target, reason)
        await delivery.enqueue(
            session, activity, group.id, await addressing.for_account(fed, session, target)
        )


async def unban(session: AsyncSession, moderator: Account, space: Space, target: Account) -> None:
    """A moderator lifts a ban."""
    await _check_moderator(session, space, moderator)
    await groups.unban(session, space.account, target)
    audit.record(session, moderator, "group.unban", target.uri)


async def pin(
    session: AsyncSession, moderator: Account, space: Space, target: Post, *, on: bool
) -> None:
    """A moderator pins (or unpins) a thread: it is listed first and in `featured`."""
    await _check_moderator(session, space, moderator)
    entry = await group_threads.entry_of(session, target)
    if entry is None or entry.group_id != space.account.id:
        raise ActionError(N_("there is no such thread in this group"))
    group_threads.pin(entry, on=on)
    audit.record(session, moderator, "group.pin" if on else "group.unpin", target.uri)


async def add_moderator(
    session: AsyncSession, moderator: Account | None, space: Space, member: Account
) -> None:
    """A moderator (or the command line, None) lets a local member of this node moderate a
    local group too."""
    if moderator is not None:
        await _check_moderator(session, space, moderator)
    if not space.account.is_local:
        raise ActionError(N_("only the group's moderators can do this"))
    if not member.is_local or member.actor_type != "Person" or member.deleted_at is not None:
        raise ActionError(N_("only a member of this node can moderate its groups"))
    if await groups.is_banned(session, space.account, member):
        raise ActionError(N_("lift the ban on this account first"))
    await groups.add_moderator(session, space.account, member)
    audit.record(session, moderator, "group.moderator_add", member.uri, space.account.uri)


async def _check_moderator(session: AsyncSession, space: Space, moderator: Account) -> None:
    if not space.account.is_local or not await groups.is_moderator(
        session, space.account, moderator
    ):
        raise ActionError(N_("only the group's moderators can do this"))


async def _thread_of(
    session: AsyncSession, group: Account, parent: Post | None
) -> GroupPost | None:
    if parent is None:
        return None
    entry = await group_threads.entry_of(session, parent)
    if entry is None or entry.group_id != group.id:
        raise ActionError(N_("there is no such thread in this group"))
    thread = await session.get(GroupPost, entry.thread_id)
    if thread is None:
        raise ActionError(N_("there is no such thread in this group"))
    return thread
