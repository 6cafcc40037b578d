"""Who must receive an activity: followers, mentioned accounts, the replied-to author,
minus hosts the policy refuses and hosts that have been dead for days; by shared inbox.
Each inbox comes with its canonical host (`Inboxes`), read once for the policy and kept for
the deliveries (`delivery.enqueue`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.hostnames import InvalidHost, host_of
from content import group_threads, posts
from content.accounts import Account
from content.audience import Visibility
from content.posts import Post
from content.relationships import follower_inboxes
from federation import hosts
from federation.context import Federation
from moderation.policy import federating

Inboxes = dict[str, str]  # inbox URL -> its canonical host


async def for_post(
    fed: Federation,
    session: AsyncSession,
    post: Post,
    author: Account,
    mentioned: Sequence[Account],
    *,
    deletion: bool = False,
) -> Inboxes:
    """Inboxes a post (and its later edits and deletion) goes to. A replied-to author a
    moderator suspended is left out but for a `deletion` (it takes back what she was sent)."""
    visibility = Visibility(post.visibility)
    if visibility == Visibility.LOCAL:
        return {}
    inboxes = {a.delivery_inbox for a in mentioned if not a.is_local}
    group = await group_threads.group_of(session, post)
    if group is not None:  # a local group's members' servers, or the remote group
        inboxes |= await _group_inboxes(session, group)
        return await deliverable(fed, session, inboxes)
    # A members-only post outside its group (a reply to a group's post written elsewhere)
    # goes, like a direct one, to those it mentions only: never to the author's followers.
    if visibility not in (Visibility.DIRECT, Visibility.MEMBERS):
        inboxes |= await follower_inboxes(session, author)
    if post.in_reply_to_uri and visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        parent = await posts.get_by_uri(session, post.in_reply_to_uri)
        parent_author = await session.get(Account, parent.account_id) if parent else None
        # A suspended one is sent a deletion only (an edit of a reply to her went; attack6).
        if parent_author is not None and not parent_author.is_local:
            if deletion or addressable([parent_author]):
                inboxes.add(parent_author.delivery_inbox)
    return await deliverable(fed, session, inboxes)


def addressable(accounts: Iterable[Account]) -> list[Account]:
    """Those of `accounts` a new post or an edit may name and go to: not a remote one a
    moderator suspended (found by attack5: a member's followers-only warning naming her,
    or an answer in a direct thread she began, went to her server, addressed to her).
    Mastodon makes no mention of a suspended account either. A deletion still goes to her:
    it only takes back what she was sent."""
    return [a for a in accounts if a.is_local or a.suspended_at is None]


async def _group_inboxes(session: AsyncSession, group: Account) -> set[str]:
    if group.is_local:
        return await follower_inboxes(session, group)
    return {group.delivery_inbox}


async def for_followers_and(
    fed: Federation, session: AsyncSession, actor: Account, others: Iterable[Account]
) -> Inboxes:
    """The actor's followers' inboxes plus those of `others` (remote ones only)."""
    inboxes = await follower_inboxes(session, actor)
    inboxes |= {a.delivery_inbox for a in others if not a.is_local}
    return await deliverable(fed, session, inboxes)


async def for_account(fed: Federation, session: AsyncSession, target: Account) -> Inboxes:
    """The personal inbox of one remote account (follows, blocks, likes go there)."""
    if target.is_local:
        return {}
    return await deliverable(fed, session, {target.inbox_uri})


async def deliverable(fed: Federation, session: AsyncSession, inboxes: set[str]) -> Inboxes:
    """`inboxes` less refused and dead hosts (the policy read once for all of them), each
    with its host."""
    dead = await hosts.dead_hosts(session)
    by_host: dict[str, list[str]] = {}
    for inbox in inboxes:
        try:
            by_host.setdefault(host_of(inbox), []).append(inbox)
        except InvalidHost:
            continue  # an unparseable inbox URL from a remote actor is skipped
    allowed = await federating(session, set(by_host) - dead, fed.policy_mode())
    return {inbox: host for host in allowed for inbox in by_host[host]}
