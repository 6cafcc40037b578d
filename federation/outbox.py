"""Local actions that federate. Each changes content, builds its activity and queues the
deliveries in the caller's transaction; the caller commits and calls `fed.notify()`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import AS_CONTEXT, PUBLIC, Note, create
from content import (
    accounts,
    audience,
    conversations,
    groups,
    interactions,
    media,
    mirrors,
    moves,
    polls,
    post_edits,
    posts,
    relationships,
)
from content.accounts import Account
from content.audience import Visibility
from content.erasure import erase_local_account
from content.interactions import Kind
from content.interface_text import N_
from content.media import MediaAttachment
from content.orm import new_id
from content.polls import PollSpec
from content.posts import Post
from content.relationships import Follow
from federation import addressing, delivery, imports, to_wire
from federation.context import Federation
from moderation import account_blocks, member_domain_blocks
from moderation.rate_limits import Action
from moderation.verdicts import move_on


class ActionError(ValueError):
    """The action is not possible; the message is fit to show the member."""


def _activity(actor: Account, kind: str, object_: Any, **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor.uri}#{kind.lower()}s/{new_id()}",
        "type": kind,
        "actor": actor.uri,
        "object": object_,
        **extra,
    }


async def _send(
    session: AsyncSession, activity: dict[str, Any], signer: Account, inboxes: addressing.Inboxes
) -> None:
    await delivery.enqueue(session, activity, signer.id, inboxes)


async def delete_account(fed: Federation, session: AsyncSession, account: Account) -> list[str]:
    """Erase a local account and tell every server this node knows that it is gone. Returns
    the names of its media files, to remove once the transaction is committed."""
    inboxes = await addressing.deliverable(fed, session, await accounts.known_inboxes(session))
    activity = _activity(account, "Delete", account.uri, to=[PUBLIC])
    files = await erase_local_account(session, account)
    await imports.forget(session, account)
    await _send(session, activity, account, inboxes)
    return files


async def follow(fed: Federation, session: AsyncSession, actor: Account, target: Account) -> Follow:
    """Follow an account; pending until it accepts (local ones that do not approve accept now,
    unless the follower is limited). Never one the follower blocks, or on a server she
    blocks, whatever asks (her, an import, a move)."""
    if target.id == actor.id:
        raise ActionError(N_("you cannot follow yourself"))
    if await account_blocks.is_blocked_by(session, actor, target):
        raise ActionError(N_("this account does not accept follows from you"))
    if await account_blocks.is_blocked_by(session, target, actor):
        raise ActionError(N_("you block this account: unblock it first"))
    if await member_domain_blocks.blocks_server_of(session, actor, target):
        raise ActionError(N_("you block this server: unblock it first"))
    space = await groups.get(session, target) if target.is_local else None
    if space is not None and (refusal := await groups.refuses(session, space, actor)):
        raise ActionError(refusal)
    activity = _activity(actor, "Follow", target.uri)
    accepted = (
        target.is_local and not target.manually_approves_followers and actor.silenced_at is None
    )
    result = await relationships.add_follow(
        session, actor, target, uri=activity["id"], accepted=accepted
    )
    if space is not None and not accepted:
        await groups.tell_moderators(session, target, result)
    await _send(session, activity, actor, await addressing.for_account(fed, session, target))
    return result


async def unfollow(fed: Federation, session: AsyncSession, actor: Account, target: Account) -> None:
    """Stop following an account, or withdraw the request."""
    existing = await relationships.find_follow(session, actor, target)
    if existing is None:
        return
    await relationships.remove_follow(session, actor, target)
    await mirrors.forget_if_unfollowed(session, target)
    original = {"id": existing.uri, "type": "Follow", "actor": actor.uri, "object": target.uri}
    await _send(
        session,
        _activity(actor, "Undo", original),
        actor,
        await addressing.for_account(fed, session, target),
    )


async def answer_follow(
    fed: Federation, session: AsyncSession, target: Account, request: Follow, *, accept: bool
) -> None:
    """Accept or reject a follow request made to a local account."""
    follower = await session.get(Account, request.follower_id)
    if follower is None or request.followed_id != target.id:
        raise ActionError(N_("there is no such follow request"))
    original = {"id": request.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}
    if accept:
        await relationships.accept_follow(session, request)
    else:
        await session.delete(request)
    answer = _activity(target, "Accept" if accept else "Reject", original)
    await _send(session, answer, target, await addressing.for_account(fed, session, follower))
    if accept:
        from federation import published  # the publishing outboxes: the first follow accepted

        await published.send_existing(fed, session, target, follower)


async def remove_follower(
    fed: Federation, session: AsyncSession, account: Account, follower: Account
) -> None:
    """Stop `follower` following `account`: the follow ends here and its server gets a
    `Reject`, as Mastodon's "remove from followers" does."""
    found = await relationships.find_follow(session, follower, account)
    if found is None:
        return
    if follower.is_local:
        await session.delete(found)
    else:
        await answer_follow(fed, session, account, found, accept=False)


async def reject_follows(fed: Federation, session: AsyncSession, account: Account) -> None:
    """End every follow and follow request of a remote `account` (one a moderator suspends)
    to this node's accounts, each with a `Reject` from the account followed to her own
    inbox, as Mastodon's suspension does: her server would go on showing her the
    followers-only posts it gets in its shared inbox for her neighbours. Nothing brings
    them back when the suspension is lifted; her server has dropped them."""
    if account.is_local:
        return
    for follow, followed in await relationships.follows_of_local(session, account):
        await answer_follow(fed, session, followed, follow, accept=False)


async def reject_suspended_follows(fed: Federation, session: AsyncSession) -> int:
    """`reject_follows` for each suspended remote account that still follows this node's
    accounts (one suspended before suspensions ended follows); how many there were."""
    found = await relationships.suspended_remote_followers(session)
    for account in found:
        await reject_follows(fed, session, account)
    return len(found)


def default_visibility(in_reply_to: Post | None) -> Visibility:
    """A new post's visibility when none is asked for: public, or a reply's parent's."""
    if in_reply_to is None:
        return Visibility.PUBLIC
    return audience.default_for_reply(Visibility(in_reply_to.visibility))


async def publish(
    fed: Federation,
    session: AsyncSession,
    author: Account,
    text: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    in_reply_to: Post | None = None,
    mentioned: Sequence[Account] = (),
    spoiler_text: str = "",
    sensitive: bool = False,
    language: str | None = None,
    attachments: Sequence[MediaAttachment] = (),
    poll: PollSpec | None = None,
) -> Post:
    """Post (with a poll if asked), and deliver it to whoever the visibility and mentions
    say (a reply's never wider than its parent's, `audience.for_reply`). Raises RateLimited
    when the author posts faster than the node allows."""
    if author.moved_to_uri is not None:
        raise ActionError(moves.MOVED_CANNOT_POST)
    await fed.limits.take(Action.POST, str(author.id))
    if in_reply_to is not None:
        parent_author = await session.get(Account, in_reply_to.account_id)
        if parent_author is not None and parent_author.id != author.id:
            mentioned = [*mentioned, parent_author]
    mentioned = addressing.addressable(mentioned)
    post = posts.create_local(
        session,
        author,
        text,
        visibility=visibility,
        in_reply_to=in_reply_to,
        mentioned=mentioned,
        spoiler_text=spoiler_text,
        sensitive=sensitive,
        language=language,
        attachments=attachments,
    )
    await session.flush()
    if poll is not None:
        polls.create(session, post.id, poll)
        await session.flush()
    mentioned = [a for a in {a.id: a for a in mentioned}.values() if a.id != author.id]
    await conversations.record(session, post, author, mentioned)
    activity = {"@context": to_wire.CONTEXT, **create(await note_of(session, post, author))}
    await _send(
        session, activity, author, await addressing.for_post(fed, session, post, author, mentioned)
    )
    return post


async def edit(
    fed: Federation,
    session: AsyncSession,
    author: Account,
    post: Post,
    text: str,
    *,
    spoiler_text: str | None = None,
    sensitive: bool | None = None,
    language: str | None = None,
    attachments: Sequence[MediaAttachment] | None = None,
) -> None:
    """Edit a post, keep the version before, and send the new one as an `Update` where the
    post went (its followers, mentions, group). An edit that changes nothing a reader sees
    is neither kept nor sent. Edits count against the posting rate (RateLimited)."""
    _own(author, post)
    await fed.limits.take(Action.POST, str(author.id))
    before = await post_edits.current(session, post)
    await posts.edit_local(
        session,
        post,
        author,
        text,
        spoiler_text=spoiler_text,
        sensitive=sensitive,
        language=language,
        attachments=attachments,
    )
    if not await post_edits.record(session, post, before):
        return
    mentioned = addressing.addressable(await mentioned_of(session, post))
    note = (await note_of(session, post, author)).to_document(with_context=False)
    activity = _activity(author, "Update", note, to=note["to"], cc=note["cc"])
    activity["@context"] = to_wire.CONTEXT
    await _send(
        session, activity, author, await addressing.for_post(fed, session, post, author, mentioned)
    )


async def delete(fed: Federation, session: AsyncSession, author: Account, post: Post) -> None:
    """Delete a post here and ask every server it went to to delete it too."""
    _own(author, post)
    mentioned = await mentioned_of(session, post)
    inboxes = await addressing.for_post(fed, session, post, author, mentioned, deletion=True)
    tombstone = {"id": post.uri, "type": "Tombstone"}
    activity = _activity(author, "Delete", tombstone, to=[PUBLIC])
    await posts.delete_post(session, post)
    await _send(session, activity, author, inboxes)


async def react(
    fed: Federation, session: AsyncSession, actor: Account, post: Post, kind: Kind
) -> None:
    """Like or boost a post. A like goes to the author; a boost also to the actor's followers."""
    author = await session.get(Account, post.account_id)
    if author is None:
        raise ActionError(N_("there is no such post"))
    if kind == Kind.BOOST and Visibility(post.visibility) not in (
        Visibility.PUBLIC,
        Visibility.UNLISTED,
    ):
        raise ActionError(N_("only public posts can be boosted"))
    if await interactions.find(session, actor, post, kind) is not None:
        return
    if kind == Kind.LIKE:
        activity = _activity(actor, "Like", post.uri)
        inboxes = await addressing.for_account(fed, session, author)
    else:
        activity = _activity(
            actor, "Announce", post.uri, to=[PUBLIC], cc=[author.uri, actor.followers_uri]
        )
        inboxes = await addressing.for_followers_and(fed, session, actor, [author])
    await interactions.add(session, actor, post, kind, uri=activity["id"])
    await _send(session, activity, actor, inboxes)


async def unreact(
    fed: Federation, session: AsyncSession, actor: Account, post: Post, kind: Kind
) -> None:
    """Take back a like or boost."""
    found = await interactions.find(session, actor, post, kind)
    author = await session.get(Account, post.account_id)
    if found is None or author is None:
        return
    original = {
        "id": found.uri,
        "type": "Like" if kind == Kind.LIKE else "Announce",
        "actor": actor.uri,
        "object": post.uri,
    }
    await interactions.remove_by_uri(session, actor, found.uri)
    if kind == Kind.LIKE:
        inboxes = await addressing.for_account(fed, session, author)
    else:
        inboxes = await addressing.for_followers_and(fed, session, actor, [author])
    await _send(session, _activity(actor, "Undo", original), actor, inboxes)


async def block(fed: Federation, session: AsyncSession, actor: Account, target: Account) -> None:
    """Block an account: follows end both ways and its server is told."""
    if target.id == actor.id:
        raise ActionError(N_("you cannot block yourself"))
    activity = _activity(actor, "Block", target.uri)
    # The policy's generation moved on first, as for a suspension: an inbox batch that
    # applied a follow between them meanwhile is applied again after the block, not kept.
    await move_on(session)
    await account_blocks.block(session, actor, target, uri=activity["id"])
    await mirrors.forget_if_unfollowed(session, target)
    await _send(session, activity, actor, await addressing.for_account(fed, session, target))


async def unblock(fed: Federation, session: AsyncSession, actor: Account, target: Account) -> None:
    """Lift a block."""
    uri = await account_blocks.unblock(session, actor, target)
    if uri is None:
        return
    original = {"id": uri, "type": "Block", "actor": actor.uri, "object": target.uri}
    await _send(
        session,
        _activity(actor, "Undo", original),
        actor,
        await addressing.for_account(fed, session, target),
    )


async def block_domain(fed: Federation, session: AsyncSession, member: Account, domain: str) -> str:
    """Hide a server from a member. Its accounts stop following the member, and each one's
    server is told with a Reject, as Mastodon does. Returns the domain as stored."""
    name = await member_domain_blocks.add(session, member, domain)
    for follow, _ in await relationships.followers_on(session, member, name):
        await answer_follow(fed, session, member, follow, accept=False)
    return name


async def update_profile(fed: Federation, session: AsyncSession, account: Account) -> None:
    """Send the account's changed profile (name, note, avatar, fields...) to its followers."""
    document = to_wire.actor(account).to_document()
    context = document.pop("@context")
    activity = _activity(account, "Update", document, to=[PUBLIC])
    if account.followers_uri:
        activity["cc"] = [account.followers_uri]
    activity["@context"] = context
    await _send(
        session, activity, account, await addressing.for_followers_and(fed, session, account, [])
    )


def _own(author: Account, post: Post) -> None:
    if post.account_id != author.id:
        raise ActionError(N_("only the author can change a post"))


async def note_of(session: AsyncSession, post: Post, author: Account) -> Note:
    """The one Note of a local post, as its Create and Update deliver it and as a GET
    serves it: the same Mention tags, `cc`, hashtags and attachments. A remote account a
    moderator suspended is not named: an edit goes to her server's shared inbox for others
    there, and her server showed her what named her (attack5)."""
    mentioned = addressing.addressable(await mentioned_of(session, post))
    mentioned = [a for a in mentioned if a.id != author.id]
    tags = await posts.tag_names(session, post)
    attached = await media.of_post(session, post.id)
    poll = await polls.of_post(session, post.id)
    context = await _context(session, post)
    return to_wire.note(post, author, mentioned, tags, attached, context, poll)


async def _context(session: AsyncSession, post: Post) -> str:
    """The thread's collection: its root's, when the root was written here (every post of a
    thread begun here names the same one), else the post's own."""
    root = await posts.thread_root(session, post)
    origin = await session.get(Account, root.account_id)
    return f"{(root if origin is not None and origin.is_local else post).uri}/context"


async def mentioned_of(session: AsyncSession, post: Post) -> list[Account]:
    """The accounts a post mentions, in id order."""
    ids = sorted(await posts.mentioned_ids(session, post))
    return [a for i in ids if (a := await session.get(Account, i)) is not None]
