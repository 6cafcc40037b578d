"""Discussion groups: FEP-1b12 `Group` actors, their members, moderators, bans and threads.

A local group is a local `Group` account plus a `groups` row (visibility, description).
Membership is an accepted follow of the group; remote groups (a Lemmy community someone
here follows) have no `groups` row. Every post in a group, local or remote, has a
`group_posts` row: its thread (the opening post's id), the thread's title and last activity,
and whether a moderator pinned it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from activitypub import ActorType, KeyPair
from content import accounts
from content.accounts import Account
from content.audience import Visibility
from content.orm import Base, utcnow
from content.posts import Post
from content.relationships import Follow, FollowState

MAX_TITLE = 200
PAGE_NAMES = frozenset({"new", "join"})  # /discussions/new and /discussions/join


class GroupError(ValueError):
    """A group action is not possible; the message is fit to show the member."""


class GroupVisibility(StrEnum):
    """Who reads a group: anyone, its members only, or this node's members (never federated)."""

    PUBLIC = "public"
    MEMBERS = "members"
    LOCAL = "local"


POST_VISIBILITY = {
    GroupVisibility.PUBLIC: Visibility.PUBLIC,
    GroupVisibility.MEMBERS: Visibility.MEMBERS,
    GroupVisibility.LOCAL: Visibility.LOCAL,
}


class Group(Base):
    """The settings of a local group; the actor itself is its `Group` account."""

    __tablename__ = "groups"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    visibility: Mapped[str] = mapped_column(String(16), default=GroupVisibility.PUBLIC)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupModerator(Base):
    """An account that moderates a local group."""

    __tablename__ = "group_moderators"

    group_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)


class GroupBan(Base):
    """An account banned from a local group: its follows and posts are refused."""

    __tablename__ = "group_bans"

    group_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupPost(Base):
    """A post in a group. `thread_id` is the opening post's id (its own for an opener)."""

    __tablename__ = "group_posts"
    __table_args__ = (Index("ix_group_posts_group_id_thread_id", "group_id", "thread_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    thread_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(MAX_TITLE), default="")
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    pinned_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Space:
    """A group as shown: its actor and its settings (None for a remote group, or a local one
    made without them: public)."""

    account: Account
    settings: Group | None

    @property
    def visibility(self) -> GroupVisibility:
        if self.settings is None:
            return GroupVisibility.PUBLIC
        return GroupVisibility(self.settings.visibility)

    @property
    def federates(self) -> bool:
        return self.visibility != GroupVisibility.LOCAL

    @property
    def post_visibility(self) -> Visibility:
        return POST_VISIBILITY[self.visibility]


async def create(
    session: AsyncSession,
    *,
    base_url: str,
    username: str,
    keypair: KeyPair,
    title: str,
    visibility: GroupVisibility,
    description: str = "",
    moderator: Account | None = None,
) -> Space:
    """A new local group; `moderator` (its creator) moderates it."""
    if username in PAGE_NAMES:
        raise GroupError(f"the name {username!r} is taken by a page of the discussions")
    account = await accounts.create_local(
        session,
        base_url=base_url,
        username=username,
        keypair=keypair,
        actor_type=ActorType.GROUP,
        display_name=title.strip()[:255] or username,
    )
    account.summary_html = ""
    settings = Group(account_id=account.id, visibility=visibility, description=description)
    session.add(settings)
    await session.flush()
    if moderator is not None:
        await add_moderator(session, account, moderator)
    return Space(account, settings)


async def get(session: AsyncSession, account: Account) -> Space | None:
    """The group this account is, or None if it is no group."""
    if account.actor_type != ActorType.GROUP or account.is_gone:
        return None
    return Space(account, await session.get(Group, account.id) if account.is_local else None)


async def local_groups(session: AsyncSession) -> list[Space]:
    """Every live local group, by name (one made with `account create --kind group` has no
    settings row and is public)."""
    rows = await session.execute(
        select(Account, Group)
        .outerjoin(Group, Group.account_id == Account.id)
        .where(
            Account.domain.is_(None),
            Account.actor_type == str(ActorType.GROUP),
            Account.deleted_at.is_(None),
            Account.suspended_at.is_(None),
        )
        .order_by(Account.username)
    )
    return [Space(account, settings) for account, settings in rows]


async def remote_groups_of(session: AsyncSession, member: Account) -> list[Space]:
    """Remote groups the member follows or has asked to follow."""
    rows = await session.scalars(
        select(Account)
        .join(Follow, Follow.followed_id == Account.id)
        .where(
            Follow.follower_id == member.id,
            Account.domain.is_not(None),
            Account.actor_type == str(ActorType.GROUP),
        )
        .order_by(Account.username)
    )
    return [Space(account, None) for account in rows]


async def add_moderator(session: AsyncSession, group: Account, account: Account) -> None:
    """Let `account` moderate the local group (again is no error)."""
    if await session.get(GroupModerator, (group.id, account.id)) is None:
        session.add(GroupModerator(group_id=group.id, account_id=account.id))
        await session.flush()


async def moderators(session: AsyncSession, group: Account) -> Sequence[Account]:
    """The group's moderators, by name."""
    query = (
        select(Account)
        .join(GroupModerator, GroupModerator.account_id == Account.id)
        .where(GroupModerator.group_id == group.id, Account.deleted_at.is_(None))
        .order_by(Account.username)
    )
    return (await session.scalars(query)).all()


async def is_moderator(session: AsyncSession, group: Account, account: Account | None) -> bool:
    """Whether `account` moderates the group."""
    if account is None:
        return False
    return await session.get(GroupModerator, (group.id, account.id)) is not None


async def is_banned(session: AsyncSession, group: Account, account: Account) -> bool:
    """Whether `account` is banned from the group."""
    return await session.get(GroupBan, (group.id, account.id)) is not None


async def ban(session: AsyncSession, group: Account, account: Account) -> None:
    """Ban an account: its membership ends and its follows are refused from now on."""
    if await is_banned(session, group, account):
        return
    session.add(GroupBan(group_id=group.id, account_id=account.id))
    await session.execute(
        delete(Follow).where(Follow.follower_id == account.id, Follow.followed_id == group.id)
    )
    await session.flush()


async def banned(session: AsyncSession, group: Account) -> Sequence[Account]:
    """The accounts banned from the group, most recently banned first."""
    query = (
        select(Account)
        .join(GroupBan, GroupBan.account_id == Account.id)
        .where(GroupBan.group_id == group.id)
        .order_by(GroupBan.created_at.desc())
    )
    return (await session.scalars(query)).all()


async def unban(session: AsyncSession, group: Account, account: Account) -> None:
    """Lift a ban; the account may join again."""
    await session.execute(
        delete(GroupBan).where(GroupBan.group_id == group.id, GroupBan.account_id == account.id)
    )


async def membership(session: AsyncSession, group: Account, account: Account | None) -> str:
    """ "member", "pending" or "" for the account's follow of the group."""
    if account is None:
        return ""
    state = await session.scalar(
        select(Follow.state).where(Follow.follower_id == account.id, Follow.followed_id == group.id)
    )
    return "member" if state == FollowState.ACCEPTED else "pending" if state else ""


async def is_member(session: AsyncSession, group: Account, account: Account | None) -> bool:
    """Whether the account is an accepted member (follower) of the group."""
    return await membership(session, group, account) == "member"


async def refuses(session: AsyncSession, space: Space, account: Account) -> str | None:
    """Why the group refuses a follow or a post from `account`, or None if it accepts it."""
    if await is_banned(session, space.account, account):
        return "you are banned from this group"
    if not account.is_local and not space.federates:
        return "this group is for members of this node only"
    return None


async def can_read(session: AsyncSession, space: Space, viewer: Account | None) -> bool:
    """Whether `viewer` may read the group's threads."""
    if space.visibility == GroupVisibility.PUBLIC:
        return True
    if viewer is None:
        return False
    if space.visibility == GroupVisibility.LOCAL:
        return viewer.is_local
    return await is_member(session, space.account, viewer) or await is_moderator(
        session, space.account, viewer
    )


def add_post(
    session: AsyncSession, post: Post, group: Account, *, thread: GroupPost | None, title: str = ""
) -> GroupPost:
    """File a post in a group: as a new thread, or as a reply in `thread` (whose last
    activity moves to now)."""
    now = utcnow()
    if thread is not None:
        thread.last_activity_at = max(thread.last_activity_at, now)
    entry = GroupPost(
        post_id=post.id,
        group_id=group.id,
        thread_id=thread.thread_id if thread else post.id,
        title="" if thread else title.strip()[:MAX_TITLE],
        last_activity_at=now,
    )
    session.add(entry)
    return entry


async def entry_of(session: AsyncSession, post: Post) -> GroupPost | None:
    """The group filing of a post, if it is in a group."""
    return await session.get(GroupPost, post.id)


async def entry_by_uri(session: AsyncSession, uri: str) -> GroupPost | None:
    """The group filing of the post with this id, if we keep it and it is in a group."""
    return await session.scalar(
        select(GroupPost).join(Post, Post.id == GroupPost.post_id).where(Post.uri == uri)
    )


async def unfile(session: AsyncSession, post: Post) -> None:
    """Take a post out of its group; the post itself stays."""
    await session.execute(delete(GroupPost).where(GroupPost.post_id == post.id))


async def group_of(session: AsyncSession, post: Post) -> Account | None:
    """The group a post was written in, if any."""
    entry = await entry_of(session, post)
    return await session.get(Account, entry.group_id) if entry else None


async def threads(
    session: AsyncSession, group: Account, *, members_too: bool = True, limit: int = 50
) -> list[tuple[GroupPost, Post, Account, int]]:
    """The group's threads, pinned first, then by latest activity: (entry, opening post,
    author, number of replies). Without `members_too`, members-only threads are left out
    (a remote group's, as it marked them)."""
    replies = (
        select(GroupPost.thread_id, func.count().label("n"))
        .where(GroupPost.group_id == group.id, GroupPost.thread_id != GroupPost.post_id)
        .group_by(GroupPost.thread_id)
        .subquery()
    )
    query = (
        select(GroupPost, Post, Account, func.coalesce(replies.c.n, 0))
        .join(Post, Post.id == GroupPost.post_id)
        .join(Account, Account.id == Post.account_id)
        .outerjoin(replies, replies.c.thread_id == GroupPost.post_id)
        .where(GroupPost.group_id == group.id, GroupPost.thread_id == GroupPost.post_id)
    )
    if not members_too:
        query = query.where(Post.visibility != Visibility.MEMBERS)
    order = (GroupPost.pinned_at.is_(None), GroupPost.last_activity_at.desc())
    rows = await session.execute(query.order_by(*order).limit(limit))
    return [(entry, post, author, int(count)) for entry, post, author, count in rows]


async def thread_posts(session: AsyncSession, opener: GroupPost) -> list[tuple[Post, Account]]:
    """A thread's posts, the opening post first, then replies oldest first."""
    rows = await session.execute(
        select(Post, Account)
        .join(GroupPost, GroupPost.post_id == Post.id)
        .join(Account, Account.id == Post.account_id)
        .where(GroupPost.thread_id == opener.thread_id, GroupPost.group_id == opener.group_id)
        .order_by(Post.id)
    )
    return [(post, author) for post, author in rows]


async def pinned(session: AsyncSession, group: Account) -> list[Post]:
    """The group's pinned threads' opening posts, most recently pinned first."""
    rows = await session.scalars(
        select(Post)
        .join(GroupPost, GroupPost.post_id == Post.id)
        .where(GroupPost.group_id == group.id, GroupPost.pinned_at.is_not(None))
        .order_by(GroupPost.pinned_at.desc())
    )
    return list(rows)


def pin(entry: GroupPost, *, on: bool) -> None:
    """Pin an opening post (or unpin it)."""
    if entry.thread_id != entry.post_id:
        raise GroupError("only a thread's opening post can be pinned")
    entry.pinned_at = (entry.pinned_at or utcnow()) if on else None
