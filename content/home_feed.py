"""Each local member's home feed, kept as it is written, so that reading a page is a walk
down one index instead of sorting every post of every account she follows.

An entry is added where the timeline's rules say a post belongs (`content.timelines`): her
own posts, posts that mention her, posts for followers by accounts she follows, and their
boosts of public posts. Like `content.stream_events`, the session's flush is where new
posts, mentions, boosts and accepted follows are noticed, whichever path stored them.

What can change after an entry was written is checked again when a page is read: the
follow it came through (`via`), suspensions, her blocks, mutes and domain blocks, her
exclusive lists. Deleted posts and undone boosts take their entries with them (foreign
keys). A feed keeps its newest FEED_LENGTH entries; below its `floor` it may miss some (it
was trimmed, or built or backfilled no further), and a page there is read the slow way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, delete, event, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.selectable import ScalarSelect

from content.accounts import Account
from content.audience import Visibility
from content.orm import DIALECT_OPTIONS, Base

FEED_LENGTH = 400
TRIM_AT = FEED_LENGTH + FEED_LENGTH // 10  # trimmed in batches, not at every entry
# What followers see of an account they follow, and what of it its boosts bring.
FOR_FOLLOWERS = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE, Visibility.LOCAL)
BOOSTABLE = (Visibility.PUBLIC, Visibility.UNLISTED)


class FeedEntry(Base):
    """A post (or a boost of one, `boost_id`) on `account_id`'s home feed, ordered by `id`:
    the post's id, or the boost's. `via_id` is the followed account it came through (the
    author, or the booster); None for her own posts and posts mentioning her."""

    __tablename__ = "home_feed"
    __table_args__ = ({"info": {DIALECT_OPTIONS: {"sqlite_with_rowid": False}}},)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    boost_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True
    )
    via_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )


class HomeFeed(Base):
    """That a member's feed was built, and the id below which it may miss entries."""

    __tablename__ = "home_feeds"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    floor: Mapped[int] = mapped_column(default=0)


# Every statement below runs on SQLite and PostgreSQL alike (ON CONFLICT is in both).
_TO_FOLLOWERS = text(
    "INSERT INTO home_feed (account_id, id, post_id, boost_id, via_id)"
    " SELECT f.follower_id, CAST(:id AS BIGINT), CAST(:post AS BIGINT),"
    " CAST(:boost AS BIGINT), CAST(:via AS BIGINT) FROM follows f"
    " JOIN accounts a ON a.id = f.follower_id"
    " WHERE f.followed_id = :via AND f.state = 'accepted' AND a.domain IS NULL"
    " ON CONFLICT DO NOTHING"
)
_TO_ONE = text(  # her own post, or one mentioning her: shown whoever she follows
    "INSERT INTO home_feed (account_id, id, post_id, boost_id, via_id)"
    " SELECT a.id, CAST(:post AS BIGINT), CAST(:post AS BIGINT), CAST(NULL AS BIGINT),"
    " CAST(NULL AS BIGINT) FROM accounts a"
    " WHERE a.id = :account AND a.domain IS NULL"
    " ON CONFLICT (account_id, id) DO UPDATE SET via_id = NULL"
)
_NEW_FEED = text(  # ON CONFLICT: two workers may build the same feed at once
    "INSERT INTO home_feeds (account_id, floor) VALUES (:account, :floor) ON CONFLICT DO NOTHING"
)
_RAISE_FLOOR = text(
    "UPDATE home_feeds SET floor = :floor WHERE account_id = :account AND floor < :floor"
)


def _sql_tuple(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _copy(body: str, *, own: bool) -> tuple[Any, Any]:
    """A statement copying `body`'s rows (account_id, id, post_id, boost_id, via_id, newest
    first, at most FEED_LENGTH) into the feed, and one finding the oldest copied if it was cut
    at FEED_LENGTH. `own` entries (her posts, mentions) win over one through a follow."""
    conflict = "(account_id, id) DO UPDATE SET via_id = NULL" if own else "DO NOTHING"
    insert = text(
        "INSERT INTO home_feed (account_id, id, post_id, boost_id, via_id)"
        f" SELECT account_id, id, post_id, boost_id, via_id FROM ({body}) AS newest"
        f" WHERE true ON CONFLICT {conflict}"
    )
    cut = text(f"SELECT min(id) FROM ({body}) AS newest HAVING count(*) >= {FEED_LENGTH}")
    return insert, cut


_ENTRY = (
    "CAST(:viewer AS BIGINT) AS account_id, {id} AS id, {post} AS post_id,"
    " {boost} AS boost_id, {via} AS via_id"
)
_NO_ID = "CAST(NULL AS BIGINT)"
# What one account she follows brings (`followed` is every account she follows, or one).
_POSTS_OF = (
    f"SELECT {_ENTRY.format(id='p.id', post='p.id', boost=_NO_ID, via='p.account_id')}"
    " FROM posts p JOIN follows f ON f.followed_id = p.account_id"
    " WHERE f.follower_id = :viewer AND f.state = 'accepted' AND {followed}"
    f" AND p.visibility IN {_sql_tuple(FOR_FOLLOWERS)}"
    f" ORDER BY p.id DESC LIMIT {FEED_LENGTH}"
)
_BOOSTS_OF = (
    f"SELECT {_ENTRY.format(id='i.id', post='i.post_id', boost='i.id', via='i.account_id')}"
    " FROM interactions i JOIN follows f ON f.followed_id = i.account_id"
    " JOIN posts p ON p.id = i.post_id"
    " WHERE f.follower_id = :viewer AND f.state = 'accepted' AND {followed}"
    f" AND i.kind = 'boost' AND p.visibility IN {_sql_tuple(BOOSTABLE)}"
    f" ORDER BY i.id DESC LIMIT {FEED_LENGTH}"
)
_FOLLOWED = [
    _copy(body.replace("{followed}", "f.followed_id = :followed"), own=False)
    for body in (_POSTS_OF, _BOOSTS_OF)
]
_BUILD = [
    *(_copy(body.replace("{followed}", "true"), own=False) for body in (_POSTS_OF, _BOOSTS_OF)),
    _copy(
        f"SELECT {_ENTRY.format(id='p.id', post='p.id', boost=_NO_ID, via=_NO_ID)}"
        f" FROM posts p WHERE p.account_id = :viewer ORDER BY p.id DESC LIMIT {FEED_LENGTH}",
        own=True,
    ),
    _copy(
        f"SELECT {_ENTRY.format(id='m.post_id', post='m.post_id', boost=_NO_ID, via=_NO_ID)}"
        " FROM mentions m WHERE m.account_id = :viewer"
        f" ORDER BY m.post_id DESC LIMIT {FEED_LENGTH}",
        own=True,
    ),
]


async def floor_of(session: AsyncSession, viewer_id: int) -> int | None:
    """The id below which the member's feed may miss entries; None if it was never built."""
    return await session.scalar(select(HomeFeed.floor).where(HomeFeed.account_id == viewer_id))


def floor_query(viewer_id: int | ColumnElement[int]) -> ScalarSelect[int]:
    """`floor_of` as a subquery, to read with a page of the feed (NULL if never built)."""
    return select(HomeFeed.floor).where(HomeFeed.account_id == viewer_id).scalar_subquery()


async def build_missing(session: AsyncSession, batch: int = 50) -> int:
    """Build the feeds of up to `batch` local accounts that have none (members from before
    feeds, or rows loaded in bulk); returns how many. The caller commits."""
    missing = await session.scalars(
        select(Account.id)
        .where(Account.domain.is_(None), Account.id.not_in(select(HomeFeed.account_id)))
        .limit(batch)
    )
    built = 0
    for account_id in list(missing):
        values = {"viewer": account_id}
        floor = 0
        for insert, cut in _BUILD:
            await session.execute(insert, values)
            floor = max(floor, await session.scalar(cut, values) or 0)
        await session.execute(_NEW_FEED, {"account": account_id, "floor": floor})
        built += 1
    return built


async def trim(session: AsyncSession) -> int:
    """Keep each feed's newest FEED_LENGTH entries (once it has TRIM_AT); the floor rises to
    the oldest kept. Commits after each feed, so no lock is held across feeds (all of a
    node's in one transaction held SQLite's write lock for seconds while pages were read).
    Returns how many feeds were trimmed."""
    over = await session.scalars(
        select(FeedEntry.account_id).group_by(FeedEntry.account_id).having(func.count() > TRIM_AT)
    )
    trimmed = 0
    for account_id in list(over):
        oldest_kept = await session.scalar(
            select(FeedEntry.id)
            .where(FeedEntry.account_id == account_id)
            .order_by(FeedEntry.id.desc())
            .offset(FEED_LENGTH - 1)
            .limit(1)
        )
        await session.execute(
            delete(FeedEntry).where(FeedEntry.account_id == account_id, FeedEntry.id < oldest_kept)
        )
        await session.execute(_RAISE_FLOOR, {"floor": oldest_kept, "account": account_id})
        await session.commit()
        trimmed += 1
    return trimmed


@event.listens_for(Session, "after_flush")
def _noticed(session: Session, _context: object) -> None:
    """Add to the feeds what this flush stored that belongs on them: its posts' and
    mentions' entries with one executemany per statement (a batch of inbox items flushes
    many at once: `content.batch_writes`)."""
    to_one: list[dict[str, Any]] = []
    to_followers: list[dict[str, Any]] = []
    for row in session.new:
        table = getattr(row, "__tablename__", "")
        if table == "posts":
            if not _known_remote(session, row.account_id):
                to_one.append({"post": row.id, "account": row.account_id})
            if row.visibility in FOR_FOLLOWERS:
                to_followers.append(
                    {"id": row.id, "post": row.id, "boost": None, "via": row.account_id}
                )
        elif table == "mentions":
            to_one.append({"post": row.post_id, "account": row.account_id})
        elif table == "interactions" and row.kind == "boost":
            _boost_noticed(session, row.id, row.post_id, row.account_id)
        elif table == "accounts" and row.domain is None:
            session.connection().execute(_NEW_FEED, {"account": row.id, "floor": 0})
        elif table == "follows" and row.state == "accepted":
            _follow_noticed(session, row.follower_id, row.followed_id)
    for row in session.dirty:
        if getattr(row, "__tablename__", "") == "follows" and _became_accepted(row):
            _follow_noticed(session, row.follower_id, row.followed_id)
    for statement, values in ((_TO_ONE, to_one), (_TO_FOLLOWERS, to_followers)):
        if values:
            session.connection().execute(statement, values)


def _known_remote(session: Session, account_id: int) -> bool:
    """Whether the session holds the account and it is remote: its posts are on no feed of
    its own here, and asking the database would cost a statement per post received."""
    account = session.identity_map.get(identity_key(Account, account_id))
    return account is not None and inspect(account).dict.get("domain") is not None


def _boost_noticed(session: Session, boost_id: int, post_id: int, booster_id: int) -> None:
    visibility = (
        session.connection()
        .execute(text("SELECT visibility FROM posts WHERE id = :post"), {"post": post_id})
        .scalar()
    )
    if visibility in BOOSTABLE:
        values = {"id": boost_id, "post": post_id, "boost": boost_id, "via": booster_id}
        session.connection().execute(_TO_FOLLOWERS, values)


def _follow_noticed(session: Session, follower_id: int, followed_id: int) -> None:
    """A local member's new follow brings the followed account's newest posts and boosts."""
    values = {"viewer": follower_id, "followed": followed_id}
    local = (
        session.connection()
        .execute(text("SELECT 1 FROM accounts WHERE id = :viewer AND domain IS NULL"), values)
        .first()
    )
    if local is None:
        return
    for insert, cut in _FOLLOWED:
        session.connection().execute(insert, values)
        oldest = session.connection().execute(cut, values).scalar()
        if oldest is not None:
            session.connection().execute(_RAISE_FLOOR, {"floor": oldest, "account": follower_id})


def _became_accepted(row: object) -> bool:
    history = inspect(row).attrs["state"].history
    return bool(history.added) and history.added[0] == "accepted"
