"""Polls on the wire, read: a Question's options, counts and end (Mastodon's shape), and
whether a note is a vote (a Note named after an option, replying to the question)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import as_list, id_of
from activitypub.jsonld import has_type
from content import polls
from content.posts import Post

MAX_COUNT = 2**31 - 1


def options_of(question: dict[str, Any]) -> tuple[list[tuple[str, int]], bool] | None:
    """A Question's options as (name, votes) and whether several may be chosen (`anyOf`);
    None if it has none that can be read."""
    multiple = "anyOf" in question and "oneOf" not in question
    items = as_list(question.get("anyOf" if multiple else "oneOf"))
    found = []
    for item in items[: polls.MAX_REMOTE_OPTIONS]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        replies = item.get("replies")
        total = replies.get("totalItems") if isinstance(replies, dict) else 0
        found.append((item["name"], _count(total)))
    return (found, multiple) if found else None


def end_of(question: dict[str, Any]) -> datetime | None:
    """When the poll ends (`endTime`) or ended (`closed`)."""
    for key in ("closed", "endTime"):
        value = question.get(key)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def voters_of(question: dict[str, Any], options: list[tuple[str, int]]) -> int:
    """`votersCount`, else (an older single-choice poll) the sum of its votes."""
    given = question.get("votersCount")
    if isinstance(given, int) and not isinstance(given, bool):
        return _count(given)
    return min(sum(n for _, n in options), MAX_COUNT)


def _count(value: Any) -> int:
    """A count a remote server gives, as a number a column holds: 0 for anything but an
    integer, at most MAX_COUNT (no poll has more voters than people on earth, and a larger
    number does not fit the column on PostgreSQL or SQLite)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return 0
    return max(0, min(value, MAX_COUNT))


async def keep_poll(session: AsyncSession, post: Post, note: dict[str, Any]) -> None:
    """Keep the poll of a remote Question just stored as `post`."""
    read = options_of(note) if has_type(note, "Question") else None
    if read is None:
        return
    options, multiple = read
    polls.keep_remote(
        session,
        post.id,
        options,
        multiple=multiple,
        voters_count=voters_of(note, options),
        expires_at=end_of(note),
    )


async def keep_results(session: AsyncSession, post: Post, note: dict[str, Any]) -> None:
    """A remote poll's counts, from an Update of its Question."""
    poll = await polls.of_post(session, post.id)
    if poll is None:  # kept before its poll was read (an older copy): keep it now
        await keep_poll(session, post, note)
        return
    read = options_of(note) if has_type(note, "Question") else None
    if read is None:
        return
    options, _ = read
    polls.set_results(poll, [n for _, n in options], voters_of(note, options), end_of(note))


def is_vote(note: dict[str, Any]) -> bool:
    """Whether a note is a vote: it names an option, replies to something and says nothing
    else (Mastodon's votes have no content)."""
    return (
        isinstance(note.get("name"), str)
        and id_of(note.get("inReplyTo")) is not None
        and not note.get("content")
        and has_type(note, "Note")
    )
