"""What Account and Status entities show beyond their own rows, read for a whole page at once.

A page of 20 statuses rendered one by one costs about ten queries a status; these read the
same facts for every status of the page in a handful of grouped queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, load_only

from content import account_stats
from content.account_stats import AccountStats
from content.accounts import Account
from content.bookmarks import Bookmark
from content.interactions import Interaction, Kind
from content.media import MediaAttachment
from content.orm import among
from content.polls import Poll, PollVote
from content.posts import Mention, Post, PostTag
from content.readers import Reader


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
    viewer: Reader | None,
    others: Collection[Account] = (),
    *,
    brief_mentions: bool = False,
) -> StatusFacts:
    """The facts every Status entity of a page needs, in two queries whatever its size
    (issue 18: each statement costs more than what it reads): every count, parent, tag,
    bookmark and poll choice in one, then mentioned accounts, attachments and polls;
    `others`: more accounts the page shows (who boosted), whose counts come in the same
    query as the authors'. With `brief_mentions` the mentioned accounts are read with the
    columns a Status shows of them alone (`MENTION_COLUMNS`), the others raising if touched:
    for a page whose session reads nothing after its statuses (a timeline)."""
    ids = [post.id for post, _ in rows]
    shown = {a.id for _, a in rows} | {a.id for a in others}
    facts = StatusFacts(accounts={account_id: AccountCounts() for account_id in shown})
    await _read_numbers(session, facts, rows, shown, viewer)
    if ids:
        await _read_attached(session, facts, ids, brief_mentions)
    return facts


async def _read_attached(
    session: AsyncSession, facts: StatusFacts, ids: list[int], brief: bool = False
) -> None:
    """Into `facts`, in one statement: each post's mentioned accounts, attachments and
    poll, outer-joined to the post (a row per mention and attachment pair; most posts have
    neither, so a row each). Three statements before, each ~0.4 ms of a page's CPU through
    the async ORM, mostly for no rows (issue 18)."""
    facts.mentions = defaultdict(list)
    facts.media = {post_id: [] for post_id in ids}
    mentioned: set[tuple[int, int]] = set()
    attached: set[int] = set()
    query = _attached_query(session.get_bind().dialect.name == "postgresql", brief)
    for post_id, account, attachment, poll in await session.execute(query, {"ids": ids}):
        if account is not None and (post_id, account.id) not in mentioned:
            mentioned.add((post_id, account.id))
            facts.mentions[post_id].append(account)
        if attachment is not None and attachment.id not in attached:
            attached.add(attachment.id)
            facts.media[post_id].append(attachment)
        if poll is not None:
            facts.polls[post_id] = poll


# What a Status shows of an account it mentions (`entities.status`: id, username, acct, url).
MENTION_COLUMNS = ("id", "username", "domain", "url", "uri")


@cache
def _attached_query(postgresql: bool, brief: bool) -> Select[int, Account, MediaAttachment, Poll]:
    """`_read_attached`'s statement, built once; mentioned accounts by id and attachments
    in upload order, as `media.of_posts` gives them. The alias is made here, not at import:
    making one configures every mapper (~50 ms), which start-up need not wait for. `brief`:
    the mentioned accounts' MENTION_COLUMNS only (of 37, two of them JSON), any other column
    raising when read rather than loading silently (`raiseload`)."""
    mentioned = aliased(Account, name="mentioned")
    query = (
        select(Post.id, mentioned, MediaAttachment, Poll)
        .outerjoin(Mention, Mention.post_id == Post.id)
        .outerjoin(mentioned, mentioned.id == Mention.account_id)
        .outerjoin(MediaAttachment, MediaAttachment.post_id == Post.id)
        .outerjoin(Poll, Poll.post_id == Post.id)
        .where(among(Post.id, "ids", postgresql))
        .order_by(Post.id, mentioned.id, MediaAttachment.id)
    )
    if brief:
        columns = [getattr(mentioned, name) for name in MENTION_COLUMNS]
        query = query.options(load_only(*columns, raiseload=True))
    return query


# The kinds of row `_read_numbers` reads, in the order it sorts them.
_STATS, _PARENT, _REPLIES, _COUNTS, _TAG, _BOOKMARK, _CHOICE = range(7)


async def _read_numbers(
    session: AsyncSession,
    facts: StatusFacts,
    rows: Sequence[tuple[Post, Account]],
    shown: Collection[int],
    viewer: Reader | None,
) -> None:
    """Into `facts`, in one statement (a UNION ALL of one branch per kind of fact, each
    read along an index): the shown accounts' counts, the parents kept here, replies,
    likes and boosts (and whether the viewer's are among them), tags, and the viewer's
    bookmarks and poll choices."""
    parent_uris = {post.in_reply_to_uri for post, _ in rows if post.in_reply_to_uri}
    values = {
        "ids": [post.id for post, _ in rows],
        "uris": [post.uri for post, _ in rows],
        "shown": list(shown),
        "parents": list(parent_uris),
        "viewer": viewer.id if viewer is not None else None,
    }
    postgresql = session.get_bind().dialect.name == "postgresql"
    query = _numbers_query(bool(parent_uris), viewer is not None, postgresql)
    found = await session.execute(query, values)
    facts.tags = defaultdict(list)
    for row_kind, a, b, c, d, name, at in found:
        if row_kind == _STATS:
            facts.accounts[a] = AccountCounts(
                statuses=b, last_status_at=at, followers=c, following=d
            )
        elif row_kind == _PARENT:
            facts.parents[name] = (a, b)
        elif row_kind == _REPLIES:
            facts.replies[str(name)] = b
        elif row_kind == _COUNTS:
            facts.counts[(a, name)] = b
            if c:
                facts.by_viewer.add((a, name))
        elif row_kind == _TAG:
            facts.tags[a].append(name)
        elif row_kind == _BOOKMARK:
            facts.bookmarked.add(a)
        else:
            facts.choices.setdefault(a, []).append(b)


_NO_TIME = cast(null(), AccountStats.last_post_at.type)


@cache
def _numbers_query(with_parents: bool, with_viewer: bool, postgresql: bool) -> CompoundSelect[Any]:
    """`_read_numbers`'s statement, built once for each shape and database: a page is its
    values alone (`ids`, `uris`, `shown`, `parents`, `viewer`), so neither building it nor
    its cache key costs a request anything, and on PostgreSQL its text is the same for
    every page (`content.orm.among`)."""
    stats = AccountStats.__table__.c
    no_id, no_text = cast(null(), BigInteger), cast(null(), String)
    viewer = bindparam("viewer", type_=BigInteger)

    def ids(column: Any, name: str = "ids") -> ColumnElement[bool]:
        return among(column, name, postgresql)

    def kind(number: int) -> ColumnElement[int]:
        return literal_column(str(number), Integer)

    branches = [
        # Columns, not entities: a row in the session would keep what the triggers changed.
        select(
            kind(_STATS).label("kind"),
            stats.account_id.label("a"),
            stats.posts.label("b"),
            stats.followers.label("c"),
            stats.following.label("d"),
            no_text.label("name"),
            stats.last_post_at.label("at"),
        ).where(ids(stats.account_id, "shown")),
        select(kind(_REPLIES), no_id, func.count(), no_id, no_id, Post.in_reply_to_uri, _NO_TIME)
        .where(ids(Post.in_reply_to_uri, "uris"))
        .group_by(Post.in_reply_to_uri),
        select(
            kind(_COUNTS),
            Interaction.post_id,
            func.count(),
            func.max(case((Interaction.account_id == viewer, 1))),
            no_id,
            Interaction.kind,
            _NO_TIME,
        )
        .where(ids(Interaction.post_id))
        .group_by(Interaction.post_id, Interaction.kind),
        select(kind(_TAG), PostTag.post_id, no_id, no_id, no_id, PostTag.name, _NO_TIME).where(
            ids(PostTag.post_id)
        ),
    ]
    if with_parents:
        branches.append(
            select(kind(_PARENT), Post.id, Post.account_id, no_id, no_id, Post.uri, _NO_TIME).where(
                ids(Post.uri, "parents")
            )
        )
    if with_viewer:
        branches.append(
            select(kind(_BOOKMARK), Bookmark.post_id, no_id, no_id, no_id, no_text, _NO_TIME).where(
                Bookmark.account_id == viewer, ids(Bookmark.post_id)
            )
        )
        branches.append(
            select(
                kind(_CHOICE), PollVote.poll_id, PollVote.choice, no_id, no_id, no_text, _NO_TIME
            )
            .join(Poll, Poll.id == PollVote.poll_id)
            .where(PollVote.account_id == viewer, ids(Poll.post_id))
        )
    numbers = union_all(*branches)
    columns = numbers.selected_columns
    # Tags by name and choices in order, as the database sorts them.
    return numbers.order_by(columns.kind, columns.name, columns.b)


def count_of(facts: StatusFacts, post: Post, kind: Kind) -> int:
    """How many likes or boosts the post has."""
    return facts.counts.get((post.id, kind), 0)


def viewer_did(facts: StatusFacts, post: Post, kind: Kind) -> bool:
    """Whether the viewer liked or boosted the post."""
    return (post.id, kind) in facts.by_viewer
