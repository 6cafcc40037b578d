"""Polls: a post's options, its votes and their counts (Mastodon's polls, ActivityPub's
`Question`).

A local poll counts its votes here, from `PollVote` rows; a remote poll keeps the counts its
origin publishes (`set_results`), plus the choices of members here, so their apps show
what they chose. Counts live on the poll row, so a timeline reads no votes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.interface_text import N_
from content.notifications import Notification, NotificationType
from content.orm import Base, new_id, utcnow

# What a member may ask for, as Mastodon's defaults (the instance document says so).
MAX_OPTIONS = 4
MAX_OPTION_CHARS = 50
MIN_EXPIRATION = 300  # seconds
MAX_EXPIRATION = 2_629_746  # a month
# What is kept of a poll from elsewhere: more options and longer ones are cut.
MAX_REMOTE_OPTIONS = 10
MAX_REMOTE_OPTION_CHARS = 200


class PollError(ValueError):
    """A poll or a vote is refused as asked; the message says why."""


@dataclass(frozen=True)
class PollSpec:
    """A poll as asked for: its options, how long it runs, one choice or several, and
    whether its counts are hidden until it ends."""

    options: tuple[str, ...]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


class Poll(Base):
    """The poll of `post`: options in order and each one's votes."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), unique=True, index=True
    )
    options: Mapped[list[str]] = mapped_column(JSON)
    counts: Mapped[list[int]] = mapped_column(JSON)
    voters_count: Mapped[int] = mapped_column(default=0)
    multiple: Mapped[bool] = mapped_column(default=False, server_default=false())
    hide_totals: Mapped[bool] = mapped_column(default=False, server_default=false())
    expires_at: Mapped[datetime | None]
    # Its end was told (voters and author notified, a local poll's closed Question sent).
    end_told: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the poll has ended."""
        return self.expires_at is not None and self.expires_at <= (now or utcnow())


class PollVote(Base):
    """`account` chose option `choice` of `poll`; `uri` is the vote's Note id (a remote
    voter's, or the one sent for a member here voting on a remote poll)."""

    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "account_id", "choice"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[int]
    uri: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def spec(
    options: Sequence[str], expires_in: int, *, multiple: bool = False, hide_totals: bool = False
) -> PollSpec:
    """A member's poll, checked: 2 to MAX_OPTIONS distinct, non-empty options of at most
    MAX_OPTION_CHARS characters, running MIN_EXPIRATION to MAX_EXPIRATION seconds."""
    cleaned = tuple(o.strip() for o in options)
    if not 2 <= len(cleaned) <= MAX_OPTIONS:
        raise PollError(f"a poll has 2 to {MAX_OPTIONS} options")
    if any(not o for o in cleaned) or len(set(cleaned)) != len(cleaned):
        raise PollError("a poll's options must be different and not empty")
    if any(len(o) > MAX_OPTION_CHARS for o in cleaned):
        raise PollError(f"a poll's options are at most {MAX_OPTION_CHARS} characters")
    if not MIN_EXPIRATION <= expires_in <= MAX_EXPIRATION:
        raise PollError(f"a poll runs {MIN_EXPIRATION} to {MAX_EXPIRATION} seconds")
    return PollSpec(cleaned, expires_in, multiple, hide_totals)


def create(session: AsyncSession, post_id: int, asked: PollSpec) -> Poll:
    """The poll of a new local post."""
    poll = Poll(
        id=new_id(),
        post_id=post_id,
        options=list(asked.options),
        counts=[0] * len(asked.options),
        voters_count=0,
        multiple=asked.multiple,
        hide_totals=asked.hide_totals,
        expires_at=utcnow() + timedelta(seconds=asked.expires_in),
    )
    session.add(poll)
    return poll


def keep_remote(
    session: AsyncSession,
    post_id: int,
    options: Sequence[tuple[str, int]],
    *,
    multiple: bool,
    voters_count: int,
    expires_at: datetime | None,
) -> Poll:
    """The poll of a remote post, as its origin published it (bounded here)."""
    kept = [(name[:MAX_REMOTE_OPTION_CHARS], max(0, n)) for name, n in options]
    poll = Poll(
        id=new_id(),
        post_id=post_id,
        options=[name for name, _ in kept[:MAX_REMOTE_OPTIONS]],
        counts=[n for _, n in kept[:MAX_REMOTE_OPTIONS]],
        voters_count=max(0, voters_count),
        multiple=multiple,
        expires_at=expires_at,
    )
    session.add(poll)
    return poll


def set_results(
    poll: Poll, counts: Sequence[int], voters_count: int, expires_at: datetime | None
) -> None:
    """A remote poll's counts as its origin now publishes them (options stay as first
    kept: an origin changing them is an edit Harbour does not follow)."""
    if len(counts) >= len(poll.options):
        poll.counts = [max(0, n) for n in counts[: len(poll.options)]]
    poll.voters_count = max(0, voters_count)
    if expires_at is not None:
        poll.expires_at = expires_at


async def of_post(session: AsyncSession, post_id: int) -> Poll | None:
    """The post's poll, if it has one."""
    return await session.scalar(select(Poll).where(Poll.post_id == post_id))


async def of_posts(session: AsyncSession, post_ids: Collection[int]) -> dict[int, Poll]:
    """The polls of these posts, by post id."""
    rows = await session.scalars(select(Poll).where(Poll.post_id.in_(post_ids)))
    return {poll.post_id: poll for poll in rows}


async def choices_of(
    session: AsyncSession, account_id: int, poll_ids: Collection[int]
) -> dict[int, list[int]]:
    """What the account chose in each of these polls, by poll id."""
    rows = await session.execute(
        select(PollVote.poll_id, PollVote.choice)
        .where(PollVote.account_id == account_id, PollVote.poll_id.in_(poll_ids))
        .order_by(PollVote.choice)
    )
    found: dict[int, list[int]] = {}
    for poll_id, choice in rows:
        found.setdefault(poll_id, []).append(choice)
    return found


async def vote(
    session: AsyncSession, poll: Poll, author_id: int, voter_id: int, choices: Sequence[int]
) -> list[PollVote]:
    """A vote of `voter_id` (not the poll's author), once, while the poll runs: one choice,
    or several distinct ones in a multiple-choice poll. Counted at once."""
    wanted = list(dict.fromkeys(choices))
    if not wanted or any(not 0 <= c < len(poll.options) for c in wanted):
        raise PollError(N_("choose among the poll's options"))
    if len(wanted) > 1 and not poll.multiple:
        raise PollError(N_("this poll takes one choice"))
    await _hold(session, poll)
    if (await choices_of(session, voter_id, [poll.id])).get(poll.id):
        raise PollError(N_("you have already voted on this poll"))
    return [await add_choice(session, poll, author_id, voter_id, c) for c in wanted]


async def add_choice(
    session: AsyncSession,
    poll: Poll,
    author_id: int,
    voter_id: int,
    choice: int,
    uri: str | None = None,
) -> PollVote:
    """One chosen option (a remote voter's votes arrive one option at a time): refused once
    the poll has ended, from its author, twice, or a second one in a single-choice poll. The
    voter is counted on her first choice."""
    if poll.expired():
        raise PollError(N_("this poll has ended"))
    if voter_id == author_id:
        raise PollError(N_("you cannot vote on your own poll"))
    await _hold(session, poll)
    earlier = (await choices_of(session, voter_id, [poll.id])).get(poll.id, [])
    if choice in earlier or (earlier and not poll.multiple):
        raise PollError(N_("you have already voted on this poll"))
    row = PollVote(id=new_id(), poll_id=poll.id, account_id=voter_id, choice=choice, uri=uri)
    session.add(row)
    counts = list(poll.counts)
    counts[choice] += 1
    poll.counts = counts
    if not earlier:
        poll.voters_count += 1
    await session.flush()
    return row


async def _hold(session: AsyncSession, poll: Poll) -> None:
    """Take the poll for the caller's transaction, and read it again as it is now: votes
    on one poll are checked and counted one at a time (its row locked on PostgreSQL, the
    one writer on SQLite), so two at once can neither both pass "not voted yet" nor count
    over each other."""
    await session.execute(
        update(Poll).where(Poll.id == poll.id).values(voters_count=Poll.voters_count)
    )
    await session.refresh(poll)


async def newly_ended(session: AsyncSession, limit: int = 100) -> list[Poll]:
    """Polls that have ended and whose end was not told yet, now marked told (rows another
    worker holds are skipped)."""
    rows = list(
        await session.scalars(
            select(Poll)
            .where(Poll.expires_at <= utcnow(), Poll.end_told.is_(False))
            .order_by(Poll.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for poll in rows:
        poll.end_told = True
    return rows


async def notify_ended(session: AsyncSession, poll: Poll, author_id: int) -> None:
    """A `poll` notification, as Mastodon's, to the poll's local voters and its author if
    local: from the author, about the post."""
    local = select(Account.id).where(Account.domain.is_(None))
    told = set(await session.scalars(local.where(Account.id.in_(await voter_ids(session, poll)))))
    told |= set(await session.scalars(local.where(Account.id == author_id)))
    session.add_all(
        Notification(
            account_id=recipient,
            from_account_id=author_id,
            type=NotificationType.POLL,
            post_id=poll.post_id,
        )
        for recipient in sorted(told)
    )


async def voter_ids(session: AsyncSession, poll: Poll) -> set[int]:
    """Accounts that voted on the poll."""
    return set(
        await session.scalars(select(PollVote.account_id).where(PollVote.poll_id == poll.id))
    )
