"""Timelines: what an account sees from the accounts it follows, and what reaches it directly."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from content import home_feed, timeline_lists
from content.accounts import Account, by_ids, not_among, not_on_any
from content.audience import Visibility
from content.home_feed import BOOSTABLE, FOR_FOLLOWERS, FeedEntry
from content.interactions import Interaction, Kind
from content.orm import among
from content.paging import NEWEST, Q, Window
from content.posts import Mention, Post, PostTag
from content.readers import Reader
from content.relationships import Follow, FollowState, followed_ids
from content.timeline_lists import TimelineList, TimelineListMember


@dataclass(frozen=True)
class Entry:
    """A post on a timeline, with who wrote it and, for a boost, who boosted it."""

    post: Post
    author: Account
    boosted_by: Account | None = None
    boost: Interaction | None = None

    @property
    def id(self) -> int:
        """Where the entry sits on its timeline: the boost's id, or the post's."""
        return self.boost.id if self.boost is not None else self.post.id

    @property
    def boosted(self) -> tuple[Interaction, Account] | None:
        """The boost and its booster, for a boost's entry."""
        if self.boost is None or self.boosted_by is None:
            return None
        return self.boost, self.boosted_by


async def home(
    session: AsyncSession,
    viewer: Reader,
    *,
    window: Window = NEWEST,
    exclude_accounts: Collection[int] = (),
    exclude_domains: Collection[str] = (),
) -> list[Entry]:
    """Newest first: the viewer's own posts, posts of accounts it follows that it may see,
    boosts by them, and posts that mention it. Accounts on her exclusive lists are read on
    those lists only. `exclude_accounts` and `exclude_domains` come from moderation.

    Read from her feed (`content.home_feed`); a page the feed may not hold whole (below its
    floor), or any page before her feed is built, is read from the posts themselves."""
    # A page of her feed and the feed's floor in one statement (issue 18); the floor is
    # read apart only when that page is empty.
    entries, floor = await _from_feed(session, viewer, window, exclude_accounts, exclude_domains)
    if floor is None and not entries:
        # Known now, the feed may have been built since its page was read (the worker builds
        # missing feeds): the page is read again. Trusted, that empty page showed a member
        # just upgraded to feeds an empty home (a full suite's upgrade test met it).
        floor = await home_feed.floor_of(session, viewer.id)
        if floor is not None:
            entries, _ = await _from_feed(
                session, viewer, window, exclude_accounts, exclude_domains
            )
    if floor is not None and _in_feed(window, floor):
        lower = max(window.min_id or 0, window.since_id or 0)
        if floor == 0 or lower >= floor or len(entries) == window.limit:
            return entries
    exclusive = await timeline_lists.exclusive_members(session, viewer)
    return await _from_posts(session, viewer, window, exclusive, exclude_accounts, exclude_domains)


def _in_feed(window: Window, floor: int) -> bool:
    """Whether the window may be read from a feed whole above `floor`."""
    above = window.max_id is None or window.max_id > floor
    return above and (window.min_id is None or window.min_id >= floor)


async def _from_feed(
    session: AsyncSession,
    viewer: Reader,
    window: Window,
    exclude_accounts: Collection[int],
    exclude_domains: Collection[str],
) -> tuple[list[Entry], int | None]:
    """A page of her feed above its floor, under what may have changed since each entry
    was written: the follow it came through (not to an account on her exclusive lists),
    suspensions, her moderation; and the floor (None when the page is empty: unknown)."""
    query = _feed_query(
        session.get_bind().dialect.name == "postgresql",
        frozenset(exclude_domains),
        window.max_id is not None,
        window.since_id is not None,
        window.min_id is not None,
    )
    values = {
        "viewer": viewer.id,
        "hidden": list(exclude_accounts),
        "max_id": window.max_id,
        "since_id": window.since_id,
        "min_id": window.min_id,
        "limit": window.limit,
    }
    rows = list(await session.execute(query, values))
    found_floor = rows[0][1] if rows else None
    # Entries below the floor are left out here, not in SQL: a condition on a subquery's
    # value keeps PostgreSQL from walking the feed's index newest first (a page read 15 ms
    # instead of 1 at 200,000 posts). A page short of them is read from the posts.
    entries = [
        Entry(post, author, booster, boost)
        for entry_id, _, post, author, booster, boost in rows
        if found_floor is not None and entry_id >= found_floor
    ]
    return window.newest_first(entries, key=lambda entry: entry.id), found_floor


@lru_cache(maxsize=256)
def _feed_query(
    postgresql: bool, domains: frozenset[str], before: bool, since: bool, after: bool
) -> Select[int, int, Post, Account, Account, Interaction]:
    """`_from_feed`'s statement, built once for each shape (the database, the domains the
    reader hides, most often none, and which bounds the window has; the accounts she hides
    are one array on PostgreSQL, `content.orm.among`): a page is its values alone
    (`viewer`, `hidden`, `max_id`, `since_id`, `min_id`, `limit`). Building it took ~1 ms
    of a page's ~6 ms of CPU, and a statement built anew is keyed anew for SQLAlchemy's
    cache; the same object keeps its key (issue 18). The alias is made here, not at import,
    where it configured every mapper before the node could answer."""
    viewer = bindparam("viewer", type_=BigInteger)
    shown = ~among(Account.id, "hidden", postgresql)
    via = aliased(Account, name="via")  # read in the conditions only
    # The booster, read for a boost's entry only: for a post's, `via` is its author, whose
    # 37 columns (two of them JSON) came a second time on every row (issue 18).
    booster = aliased(Account, name="booster")
    still_followed = (
        select(Follow.id)
        .where(
            Follow.follower_id == viewer,
            Follow.followed_id == FeedEntry.via_id,
            Follow.state == FollowState.ACCEPTED,
        )
        .exists()
    )
    query = (
        select(FeedEntry.id, home_feed.floor_query(viewer), Post, Account, booster, Interaction)
        .join(Post, Post.id == FeedEntry.post_id)
        .join(Account, Account.id == Post.account_id)
        .outerjoin(via, via.id == FeedEntry.via_id)
        .outerjoin(booster, and_(booster.id == FeedEntry.via_id, FeedEntry.boost_id.is_not(None)))
        .outerjoin(Interaction, Interaction.id == FeedEntry.boost_id)
        .where(
            FeedEntry.account_id == viewer,
            shown,
            not_on_any(Account.domain, domains),
            Account.suspended_at.is_(None),
            or_(
                FeedEntry.via_id.is_(None),
                and_(
                    ~among(via.id, "hidden", postgresql),
                    via.id.not_in(timeline_lists.exclusive_members_query(viewer)),
                    not_on_any(via.domain, domains),
                    via.suspended_at.is_(None),
                    still_followed,
                    # As when written, in case it changed since (a post moved into a group).
                    Post.visibility.in_(FOR_FOLLOWERS),
                    or_(FeedEntry.boost_id.is_(None), Post.visibility.in_(BOOSTABLE)),
                ),
            ),
        )
    )
    entry = FeedEntry.id
    if before:
        query = query.where(entry < bindparam("max_id", type_=BigInteger))
    if since:
        query = query.where(entry > bindparam("since_id", type_=BigInteger))
    order = entry.desc()
    if after:
        query, order = query.where(entry > bindparam("min_id", type_=BigInteger)), entry.asc()
    return query.order_by(order).limit(bindparam("limit", type_=Integer))


async def _from_posts(
    session: AsyncSession,
    viewer: Reader,
    window: Window,
    exclusive: Collection[int],
    exclude_accounts: Collection[int],
    exclude_domains: Collection[str],
) -> list[Entry]:
    """The home timeline read from the posts themselves, for pages below the feed's floor."""
    followed = [a for a in await followed_ids(session, viewer) if a not in exclusive]
    by_author = _by_live_author(exclude_accounts, exclude_domains)
    branches = [
        by_author.where(Post.account_id == viewer.id),
        by_author.join(Mention, Mention.post_id == Post.id).where(Mention.account_id == viewer.id),
    ]
    if followed:
        branches.append(
            by_author.where(Post.account_id.in_(followed), Post.visibility.in_(FOR_FOLLOWERS))
        )
    entries = await _merged(session, branches, window)
    if window.is_newest_page and window.since_id is None:
        # Boosts are shown on the newest page only, until boosts get their own ids.
        entries += await _boosts(session, followed, window.limit, exclude_accounts, exclude_domains)
    return window.newest_first(entries, key=lambda entry: entry.id)[: window.limit]


async def list_timeline(
    session: AsyncSession,
    found: TimelineList,
    *,
    window: Window = NEWEST,
    exclude_accounts: Collection[int] = (),
    exclude_domains: Collection[str] = (),
) -> list[Entry]:
    """Newest first: what the list's owner reads of its members on her home timeline (the
    same branch, visibility and exclusions; exclusive or not), the replies it shows by its
    policy, and boosts by its members."""
    members = list(
        await session.scalars(
            select(TimelineListMember.account_id)
            .join(Follow, Follow.id == TimelineListMember.follow_id)
            .where(TimelineListMember.list_id == found.id, Follow.state == FollowState.ACCEPTED)
        )
    )
    if not members:
        return []
    query = (
        _by_live_author(exclude_accounts, exclude_domains)
        .join(TimelineList, TimelineList.id == found.id)
        .where(Post.account_id.in_(members), Post.visibility.in_(FOR_FOLLOWERS))
        .where(timeline_lists.reply_shown())
    )
    entries = await _merged(session, [query], window)
    if window.is_newest_page and window.since_id is None:
        entries += await _boosts(session, members, window.limit, exclude_accounts, exclude_domains)
    return window.newest_first(entries, key=lambda entry: entry.post.id)[: window.limit]


async def lists_of_post(session: AsyncSession, post: Post) -> dict[int, list[int]]:
    """The lists a new post belongs on, as {owner account id: [list ids]}, by the rules of
    `list_timeline` (a member followed and accepted, a visibility for followers, the list's
    replies policy), for a `list` stream. Blocks, mutes and domain blocks are the owner's
    (`moderation.policy.hidden_from`): the caller applies them, as the timeline's does."""
    if post.visibility not in FOR_FOLLOWERS:
        return {}
    rows = await session.execute(
        select(TimelineList.account_id, TimelineList.id)
        .join(Post, Post.id == post.id)
        .join(Account, Account.id == Post.account_id)
        .where(Account.suspended_at.is_(None))
        .where(timeline_lists.followed_members(), timeline_lists.reply_shown())
        .order_by(TimelineList.id)
    )
    found: dict[int, list[int]] = {}
    for owner_id, list_id in rows:
        found.setdefault(owner_id, []).append(list_id)
    return found


def _by_live_author(
    exclude_accounts: Collection[int], exclude_domains: Collection[str]
) -> Select[int]:
    """Post ids by authors neither suspended nor left out by the viewer's moderation."""
    return (
        select(Post.id)
        .join(Account, Account.id == Post.account_id)
        .where(
            Account.id.not_in(exclude_accounts),
            not_on_any(Account.domain, exclude_domains),
            Account.suspended_at.is_(None),
        )
    )


async def _merged(
    session: AsyncSession, branches: list[Select[int]], window: Window
) -> list[Entry]:
    """The window over the union of post-id queries: one newest-first page per branch,
    each read along an index, then merged (one OR across the branches makes SQLite sort
    every post of every followed account)."""
    pages = [window.apply(branch, Post.id).subquery() for branch in branches]
    candidates = union_all(*(select(page.c.id) for page in pages))
    query = (
        select(Post, Account)
        .join(Account, Account.id == Post.account_id)
        .where(Post.id.in_(candidates))
    )
    rows = await session.execute(window.apply(query, Post.id))
    return [Entry(post, author) for post, author in rows]


async def boost_on_home(
    session: AsyncSession,
    viewer: Account,
    interaction_id: int,
    *,
    exclude_accounts: Collection[int] = (),
    exclude_domains: Collection[str] = (),
) -> Entry | None:
    """The boost as the viewer's home timeline shows it (by an account she follows, of a
    post she may see), or None if it does not."""
    exclusive = await timeline_lists.exclusive_members(session, viewer)
    followed = [a for a in await followed_ids(session, viewer) if a not in exclusive]
    found = await _boosts(
        session, followed, 1, exclude_accounts, exclude_domains, Interaction.id == interaction_id
    )
    return found[0] if found else None


async def _boosts(
    session: AsyncSession,
    followed: list[int],
    limit: int,
    exclude: Collection[int],
    exclude_domains: Collection[str],
    *where: ColumnElement[bool],
) -> list[Entry]:
    if not followed:
        return []
    booster = Account.__table__.alias("booster")
    rows = await session.execute(
        select(Post, Account, booster.c.id, Interaction)
        .join(Interaction, Interaction.post_id == Post.id)
        .join(Account, Account.id == Post.account_id)
        .join(booster, booster.c.id == Interaction.account_id)
        .where(
            Interaction.kind == Kind.BOOST,
            Interaction.account_id.in_(followed),
            Interaction.account_id.not_in(exclude),
            booster.c.suspended_at.is_(None),
            Account.suspended_at.is_(None),  # a suspended author does not return in a boost
            Post.visibility.in_(BOOSTABLE),
            Account.id.not_in(exclude),
            not_on_any(Account.domain, exclude_domains),
            not_on_any(booster.c.domain, exclude_domains),
            *where,
        )
        .order_by(Interaction.id.desc())
        .limit(limit)
    )
    found = list(rows)
    boosters = await by_ids(session, {row[2] for row in found})
    return [
        Entry(post, author, boosters[booster_id], boost)
        for post, author, booster_id, boost in found
    ]


async def public(
    session: AsyncSession,
    *,
    local_only: bool,
    viewer_is_local: bool,
    window: Window = NEWEST,
    exclude_accounts: Collection[int] = (),
    hashtag: str | None = None,
    exclude_domains: Collection[str] = (),
    exclude_hosts: Select[str] | None = None,
) -> list[Entry]:
    """Public posts kept here, newest first: this node's only, or every server's, and only
    those carrying `hashtag` if given. Limited (silenced) accounts are left out, and the
    servers `exclude_hosts` selects (those in quarantine). Local-only posts are shown in the
    local timeline to people of this node, and to nobody else. This node's posts are read
    along their own index, by visibility (`Post.local`, `ix_posts_local_visibility_id`):
    picked from all posts, those of a node whose members rarely post publicly had every
    post walked, remote ones too (72 ms at 100,000 posts; survey21)."""
    shows_local_only = local_only and viewer_is_local
    visible = [Visibility.PUBLIC, *([Visibility.LOCAL] if shows_local_only else [])]

    def shown(query: Q, *visibility: Visibility) -> Q:
        query = query.join(Account, Account.id == Post.account_id).where(
            Post.visibility.in_(visibility),
            Account.id.not_in(exclude_accounts),
            not_on_any(Account.domain, exclude_domains),
            not_among(Account.domain, exclude_hosts),
            Account.suspended_at.is_(None),
            Account.silenced_at.is_(None),
        )
        if local_only:
            query = query.where(Post.local)
        if hashtag is not None:
            query = query.join(PostTag, PostTag.post_id == Post.id).where(PostTag.name == hashtag)
        return query

    if len(visible) == 1:
        rows = await session.execute(window.apply(shown(select(Post, Account), *visible), Post.id))
        entries = [Entry(post, author) for post, author in rows]
    else:
        # This node's posts a visibility at a time, each newest first along the index of
        # local posts by visibility (`ix_posts_local_visibility_id`), then merged.
        entries = await _merged(session, [shown(select(Post.id), v) for v in visible], window)
    return window.newest_first(entries, lambda e: e.post.id)


async def account_posts(
    session: AsyncSession,
    author: Account,
    viewer: Account | None,
    *,
    window: Window = NEWEST,
    pinned: bool = False,
    exclude_replies: bool = False,
) -> list[Post]:
    """The author's posts the viewer may read (as `posts.can_see` decides), newest first:
    none for someone not signed in if the author hides her posts from guests."""
    if viewer is None and author.hide_from_guests:
        return []
    visible = [Visibility.PUBLIC, Visibility.UNLISTED]
    readable: ColumnElement[bool] = Post.visibility.in_(visible)
    if viewer is not None and viewer.id == author.id:
        readable = true()
    elif viewer is not None:
        if viewer.is_local:
            visible.append(Visibility.LOCAL)
        if author.id in await followed_ids(session, viewer):
            visible.append(Visibility.PRIVATE)
        mentioned = select(Mention.post_id).where(Mention.account_id == viewer.id)
        readable = or_(Post.visibility.in_(visible), Post.id.in_(mentioned))
    query = select(Post).where(Post.account_id == author.id, readable)
    if pinned:
        query = query.where(Post.pinned_at.is_not(None))
    if exclude_replies:
        query = query.where(Post.in_reply_to_uri.is_(None))
    rows = await session.scalars(window.apply(query, Post.id))
    return window.newest_first(list(rows), key=lambda post: post.id)
