"""ActivityPub documents of local discussion groups: pinned threads (`featured`), the
latest posts (`outbox`, which a members-only group shows its members only), the
moderators collection, and a post written in a group as the group has it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ordered_collection
from content import accounts, group_threads, groups, media, posts
from content.accounts import Account
from content.audience import OPEN_TO_ALL, Visibility
from content.groups import GroupVisibility
from content.media import MediaAttachment
from content.posts import Post
from federation import group_wire
from node.state import Services


async def featured(services: Services, group: Account) -> dict[str, Any]:
    """The group's pinned threads, inline, as Lemmy reads a community's `featured`."""
    async with services.sessions() as session:
        space = await groups.get(session, group)
        pinned = await group_threads.pinned(session, group)
        items = []
        if space is not None and space.visibility == groups.GroupVisibility.PUBLIC:
            authors = await accounts.by_ids(session, {p.account_id for p in pinned})
            for opener in pinned:
                tags = await posts.tag_names(session, opener)
                attached = await media.of_post(session, opener.id)
                found = await post(session, opener, authors[opener.account_id], tags, attached)
                if found is not None:
                    items.append(found)
    document = ordered_collection(str(group.featured_uri), total_items=len(items))
    document["orderedItems"] = items
    return document


OUTBOX_SIZE = 40


async def outbox(services: Services, group: Account, reader_uri: str | None) -> dict[str, Any]:
    """The group's latest posts, newest first, each as the group's `Announce` of its
    `Create` (as Lemmy's community outbox), for members joining from other servers. A
    members-only group's posts go only to a member or moderator (`reader_uri`, the signer
    of the fetch); anyone else gets an empty collection."""
    async with services.sessions() as session:
        space = await groups.get(session, group)
        reader = await accounts.get_by_uri(session, reader_uri) if reader_uri else None
        readable = space is not None and await groups.can_read(session, space, reader)
        members_too = readable and space is not None and space.visibility != GroupVisibility.PUBLIC
        rows = await group_threads.latest(
            session, group, members_too=members_too, limit=OUTBOX_SIZE
        )
        items = []
        for _, found, author in rows if readable else []:
            tags = await posts.tag_names(session, found)
            attached = await media.of_post(session, found.id)
            note = await post(session, found, author, tags, attached, members_too=members_too)
            if note is not None:
                activity = group_wire.create(note, author)
                items.append(group_wire.announce(group, activity, public=not members_too))
    document = ordered_collection(str(group.outbox_uri), total_items=len(items))
    document["orderedItems"] = items
    return document


async def moderators(services: Services, group: Account) -> dict[str, Any]:
    """Who moderates the group: the FEP-1b12 `attributedTo` collection."""
    async with services.sessions() as session:
        found = await groups.moderators(session, group)
    document = ordered_collection(group_wire.moderators_uri(group), total_items=len(found))
    document["orderedItems"] = [account.uri for account in found]
    return document


async def post(
    session: AsyncSession,
    post: Post,
    author: Account,
    hashtags: Sequence[str],
    attached: Sequence[MediaAttachment],
    *,
    members_too: bool = False,
) -> dict[str, Any] | None:
    """A public post written in a group (or a members-only one, with `members_too`),
    addressed to the group; None if it is in none."""
    entry = await group_threads.entry_of(session, post)
    group = await session.get(Account, entry.group_id) if entry else None
    shown = members_too and Visibility(post.visibility) == Visibility.MEMBERS
    if entry is None or group is None or not (shown or Visibility(post.visibility) in OPEN_TO_ALL):
        return None
    mentioned = await accounts.by_ids(session, await posts.mentioned_ids(session, post))
    return group_wire.note(post, author, group, entry, list(mentioned.values()), hashtags, attached)
