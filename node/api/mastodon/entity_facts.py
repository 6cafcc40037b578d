"""What Account and Status entities show beyond their own rows, read for a whole page at once.

A page of 20 statuses rendered one by one costs about ten queries a status; these read the
same facts for every status of the page in a handful of grouped queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content import account_stats, media, polls
from content.accounts import Account
from content.bookmarks import Bookmark
from content.interactions import Interaction, Kind
from content.media import MediaAttachment
from content.polls import Poll
from content.posts import Mention, Post, PostTag


@dataclass(frozen=True)
class AccountCounts:
    """The counts an Account entity shows."""

    statuses: int = 0
    last_status_at: datetime | None = None
    followers: int = 0
    following: int = 0


@dataclass
class StatusFacts:
    """For each post of a page: mentions, parent, counts and what the viewer did to it."""

    mentions: dict[int, list[Account]] = field(default_factory=dict)
    parents: dict[str, tuple[int, int]] = field(default_factory=dict)  # uri: (id, account id)
    replies: dict[str, int] = field(default_factory=dict)  # by the replied-to uri
    counts: dict[tuple[int, str], int] = field(default_factory=dict)  # (post id, kind)
    by_viewer: set[tuple[int, str]] = field(default_factory=set)  # (post id, kind)
    accounts: dict[int, AccountCounts] = field(default_factory=dict)
    media: dict[int, list[MediaAttachment]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    bookmarked: set[int] = field(default_factory=set)  # post ids the viewer bookmarked
    polls: dict[int, Poll] = field(default_factory=dict)  # by post id
    choices: dict[int, list[int]] = field(default_factory=dict)  # the viewer's, by poll id

    def parent_of(self, post: Post) -> tuple[int, int] | None:
        """The (id, account id) of the post this one replies to, if it is kept here."""
        return self.parents.get(post.in_reply_to_uri) if post.in_reply_to_uri else None


async def account_counts(session: AsyncSession, ids: Collection[int]) -> dict[int, AccountCounts]:
    """Posts, newest post time, accepted followers and follows of each account, from the
    counts the database keeps (`content.account_stats`): one indexed query, however many
    posts and follows there are."""
    return {
        account_id: AccountCounts(
            statuses=found.posts,
            last_status_at=found.last_post_at,
            followers=found.followers,
            following=found.following,
        )
        for account_id, found in (await account_stats.counts_of(session, ids)).items()
    }


async def status_facts(
    session: AsyncSession,
    rows: Sequence[tuple[Post, Account]],
    viewer: Account | None,
    others: Collection[Account] = (),
) -> StatusFacts:
    """The facts every Status entity of a page needs, in ten queries whatever its size;
    `others`: more accounts the page shows (who boosted), whose counts come in the same
    query as the authors'."""
    ids = [post.id for post, _ in rows]
    shown = {a.id for _, a in rows} | {a.id for a in others}
    facts = StatusFacts(accounts=await account_counts(session, shown))
    mentioned = await session.execute(
        select(Mention.post_id, Account)
        .join(Account, Account.id == Mention.account_id)
        .where(Mention.post_id.in_(ids))
        .order_by(Mention.post_id, Account.id)
    )
    facts.mentions = defaultdict(list)
    for post_id, account in mentioned:
        facts.mentions[post_id].append(account)
    parent_uris = {post.in_reply_to_uri for post, _ in rows if post.in_reply_to_uri}
    if parent_uris:
        parents = select(Post.uri, Post.id, Post.account_id).where(Post.uri.in_(parent_uris))
        facts.parents = {uri: (i, a) for uri, i, a in await session.execute(parents)}
    replies = (
        select(Post.in_reply_to_uri, func.count())
        .where(Post.in_reply_to_uri.in_([post.uri for post, _ in rows]))
        .group_by(Post.in_reply_to_uri)
    )
    facts.replies = {str(uri): n for uri, n in await session.execute(replies)}
    # Likes and boosts counted, and whether the viewer's are among them, in one query.
    mine = Interaction.account_id == (viewer.id if viewer is not None else None)
    counted = (
        select(Interaction.post_id, Interaction.kind, func.count(), func.max(case((mine, 1))))
        .where(Interaction.post_id.in_(ids))
        .group_by(Interaction.post_id, Interaction.kind)
    )
    for post_id, kind, number, by_viewer in await session.execute(counted):
        facts.counts[(post_id, kind)] = number
        if by_viewer:
            facts.by_viewer.add((post_id, kind))
    facts.media = await media.of_posts(session, ids)
    facts.tags = defaultdict(list)
    tagged = select(PostTag.post_id, PostTag.name).where(PostTag.post_id.in_(ids))
    for post_id, name in await session.execute(tagged.order_by(PostTag.name)):
        facts.tags[post_id].append(name)
    if viewer is not None:
        kept = select(Bookmark.post_id).where(
            Bookmark.account_id == viewer.id, Bookmark.post_id.in_(ids)
        )
        facts.bookmarked = set(await session.scalars(kept))
    facts.polls = await polls.of_posts(session, ids)
    if viewer is not None and facts.polls:
        poll_ids = [poll.id for poll in facts.polls.values()]
        facts.choices = await polls.choices_of(session, viewer.id, poll_ids)
    return facts


def count_of(facts: StatusFacts, post: Post, kind: Kind) -> int:
    """How many likes or boosts the post has."""
    return facts.counts.get((post.id, kind), 0)


def viewer_did(facts: StatusFacts, post: Post, kind: Kind) -> bool:
    """Whether the viewer liked or boosted the post."""
    return (post.id, kind) in facts.by_viewer
