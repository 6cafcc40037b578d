"""What a member takes with them: their own posts, who they follow and are followed by, and
their lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from content import timeline_lists
from content.accounts import Account
from content.posts import Post, PostTag
from content.relationships import Follow, FollowState
from content.timeline_lists import TimelineList, TimelineListMember


@dataclass(frozen=True)
class Archive:
    """A local account's own data, every visibility included."""

    account: Account
    posts: Sequence[tuple[Post, list[str]]]  # each post with its hashtags
    following: Sequence[Account]
    followers: Sequence[Account]
    lists: Sequence[tuple[TimelineList, list[str]]]  # each list with its accounts' ids


async def archive_of(session: AsyncSession, account: Account) -> Archive:
    """Everything the account wrote and its relations, oldest post first."""
    own = (
        await session.scalars(select(Post).where(Post.account_id == account.id).order_by(Post.id))
    ).all()
    tags: dict[int, list[str]] = {}
    for post_id, name in await session.execute(
        select(PostTag.post_id, PostTag.name).join(Post).where(Post.account_id == account.id)
    ):
        tags.setdefault(post_id, []).append(name)
    return Archive(
        account=account,
        posts=[(post, sorted(tags.get(post.id, []))) for post in own],
        following=await _related(session, Follow.followed_id, Follow.follower_id == account.id),
        followers=await _related(session, Follow.follower_id, Follow.followed_id == account.id),
        lists=await _lists(session, account),
    )


async def _related(
    session: AsyncSession, other: InstrumentedAttribute[int], condition: ColumnElement[bool]
) -> Sequence[Account]:
    query = (
        select(Account)
        .join(Follow, other == Account.id)
        .where(condition, Follow.state == FollowState.ACCEPTED)
        .order_by(Account.uri)
    )
    return (await session.scalars(query)).all()


async def _lists(session: AsyncSession, account: Account) -> list[tuple[TimelineList, list[str]]]:
    members: dict[int, list[str]] = {}
    for list_id, uri in await session.execute(
        select(TimelineListMember.list_id, Account.uri)
        .join(Account, Account.id == TimelineListMember.account_id)
        .join(TimelineList, TimelineList.id == TimelineListMember.list_id)
        .where(TimelineList.account_id == account.id)
        .order_by(Account.uri)
    ):
        members.setdefault(list_id, []).append(uri)
    owned = await timeline_lists.of_owner(session, account)
    return [(found, members.get(found.id, [])) for found in owned]
