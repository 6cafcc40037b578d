"""Discussion groups: FEP-1b12 `Group` actors, their members, moderators and bans.

A local group is a local `Group` account plus a `groups` row (visibility, description).
Membership is an accepted follow of the group; a members-only group approves follows by
hand (a moderator answers). Remote groups (a Lemmy community someone here follows) have no
`groups` row: one that approves followers by hand is members-only. The posts written in
groups are filed by `content.group_threads`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, ForeignKey, Select, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from activitypub import ActorType, KeyPair
from content import accounts, hashtags, languages
from content.accounts import Account
from content.audience import Visibility
from content.interface_text import N_, Message
from content.notifications import NotificationType, notify
from content.orm import Base, utcnow
from content.relationships import Follow, FollowState
from content.sanitize import render_plain_text

PAGE_NAMES = frozenset({"new", "join"})  # /discussions/new and /discussions/join
MAX_TOPICS = 10


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
    language: Mapped[str] = mapped_column(String(35), default="")  # BCP 47, "" if unsaid
    topics: Mapped[str] = mapped_column(String(500), default="")  # tag names, space-separated
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


@dataclass(frozen=True)
class Space:
    """A group as shown: its actor and its settings (None for a local group made without
    them: public; for a remote group, what its organisation's directory said, if read)."""

    account: Account
    settings: Group | None

    @property
    def visibility(self) -> GroupVisibility:
        """A local group's setting; a remote group is members-only when its actor approves
        followers by hand (`manuallyApprovesFollowers`, as Lemmy's private communities
        publish), else public."""
        if not self.account.is_local:
            members = self.account.manually_approves_followers
            return GroupVisibility.MEMBERS if members else GroupVisibility.PUBLIC
        if self.settings is None:
            return GroupVisibility.PUBLIC
        return GroupVisibility(self.settings.visibility)

    @property
    def topics(self) -> list[str]:
        """The group's topics (hashtag names)."""
        return self.settings.topics.split() if self.settings is not None else []

    @property
    def language(self) -> str:
        """The language the group talks in (a BCP 47 tag), "" if unsaid."""
        return self.settings.language if self.settings is not None else ""

    def matches(self, *, language: str = "", topic: str = "") -> bool:
        """Whether the group talks in `language` (its primary subtag is enough: `pt` finds
        `pt-BR`) and has `topic` (a hashtag name in its stored form); "" matches any."""
        mine = self.language.casefold()
        wanted = language.casefold()
        if wanted and mine != wanted and not mine.startswith(f"{wanted}-"):
            return False
        return not topic or topic in self.topics

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
    language: str = "",
    topics: str = "",
) -> Space:
    """A new local group; `moderator` (its creator) moderates it. `topics` are words or
    hashtags (at most MAX_TOPICS), `language` a BCP 47 tag or ""."""
    if username in PAGE_NAMES:
        raise GroupError(
            Message(
                N_("the name “%(username)s” is taken by a page of the discussions"),
                username=username,
            )
        )
    tag = languages.language_tag(language) if language.strip() else ""
    if tag is None:
        raise GroupError(N_("the language must be a language tag, such as en, ro or pt-BR"))
    account = await accounts.create_local(
        session,
        base_url=base_url,
        username=username,
        keypair=keypair,
        actor_type=ActorType.GROUP,
        display_name=title.strip()[:255] or username,
    )
    account.summary_html = render_plain_text(description, f"{base_url}/tags/")  # `summary`
    account.manually_approves_followers = visibility == GroupVisibility.MEMBERS
    settings = Group(
        account_id=account.id,
        visibility=visibility,
        description=description,
        language=tag,
        topics=" ".join(topic_names(topics)),
    )
    session.add(settings)
    await session.flush()
    if moderator is not None:
        await add_moderator(session, account, moderator)
    return Space(account, settings)


def topic_names(text: str) -> list[str]:
    """The distinct topics in `text` (words or hashtags, by spaces or commas), as hashtag
    names in their stored form; at most MAX_TOPICS."""
    names = (hashtags.normalise(word) for word in re.split(r"[\s,]+", text))
    return list(dict.fromkeys(name for name in names if name))[:MAX_TOPICS]


async def get(session: AsyncSession, account: Account) -> Space | None:
    """The group this account is, or None if it is no group."""
    if account.actor_type != ActorType.GROUP or account.is_gone:
        return None
    return Space(account, await session.get(Group, account.id) if account.is_local else None)


def _live_groups(*where: ColumnElement[bool]) -> Select[Account, Group]:
    """Live (not deleted, not suspended) groups with their settings, if any, by name."""
    return (
        select(Account, Group)
        .outerjoin(Group, Group.account_id == Account.id)
        .where(
            Account.actor_type == str(ActorType.GROUP),
            Account.deleted_at.is_(None),
            Account.suspended_at.is_(None),
            *where,
        )
        .order_by(Account.username)
    )


async def _spaces(session: AsyncSession, query: Select[Account, Group]) -> list[Space]:
    return [Space(account, settings) for account, settings in await session.execute(query)]


async def local_groups(session: AsyncSession) -> list[Space]:
    """Every live local group, by name (one made with `account create --kind group` has no
    settings row and is public)."""
    return await _spaces(session, _live_groups(Account.domain.is_(None)))


async def remote_groups_of(session: AsyncSession, member: Account) -> list[Space]:
    """Remote groups the member follows or has asked to follow."""
    query = _live_groups(Account.domain.is_not(None), Follow.follower_id == member.id)
    return await _spaces(session, query.join(Follow, Follow.followed_id == Account.id))


async def of_followed_organisations(session: AsyncSession, limit: int = 500) -> list[Space]:
    """The remote groups read from the directories of organisations a local account
    follows (accepted), on those organisations' servers, by name."""
    follower = aliased(Account)
    organisations = (
        select(Account.domain)
        .join(Follow, Follow.followed_id == Account.id)
        .join(follower, follower.id == Follow.follower_id)
        .where(
            Account.actor_type == str(ActorType.ORGANIZATION),
            Follow.state == FollowState.ACCEPTED,
            follower.domain.is_(None),
        )
    )
    query = _live_groups(Account.domain.in_(organisations), Group.account_id.is_not(None))
    return await _spaces(session, query.limit(limit))


async def remember(session: AsyncSession, group: Account, *, language: str, topics: str) -> None:
    """What another organisation's directory says of one of its groups (a remote group):
    its language (kept only if a BCP 47 tag) and topics."""
    settings = await session.get(Group, group.id)
    if settings is None:
        settings = Group(account_id=group.id, visibility=GroupVisibility.PUBLIC)
        session.add(settings)
    settings.language = languages.language_tag(language) or ""
    settings.topics = " ".join(topic_names(topics))
    await session.flush()


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


async def moderated_by(session: AsyncSession, account: Account) -> list[Space]:
    """The live local groups `account` moderates, by name."""
    rows = await session.execute(
        select(Account, Group)
        .join(GroupModerator, GroupModerator.group_id == Account.id)
        .outerjoin(Group, Group.account_id == Account.id)
        .where(GroupModerator.account_id == account.id, Account.deleted_at.is_(None))
        .order_by(Account.username)
    )
    return [Space(group, settings) for group, settings in rows]


async def tell_moderators(session: AsyncSession, group: Account, follow: Follow) -> None:
    """A request to join waits: each of the group's moderators gets it as a follow request
    notification (it goes once the request is answered)."""
    for moderator in await moderators(session, group):
        kind = NotificationType.FOLLOW_REQUEST
        notify(session, moderator, follow.follower_id, kind, follow_id=follow.id)


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
    """Whether the account is an accepted member (follower) of the group, and not banned."""
    if account is None or await membership(session, group, account) != "member":
        return False
    return not await is_banned(session, group, account)


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
