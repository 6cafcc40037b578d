"""Votes and results that federate: a member's vote on a poll from elsewhere goes to its
author as one `Create` of a Note per chosen option, addressed to the author alone (as
Mastodon sends them); a vote on a poll here, local or received, sends the poll's new counts
as an `Update` of its Question to the author's followers and the remote voters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import AS_CONTEXT, id_of
from content import polls, posts
from content.accounts import Account
from content.interface_text import N_
from content.polls import Poll, PollError
from content.posts import Post
from federation import addressing, delivery, object_outbox, outbox, poll_wire, to_wire
from federation.context import Federation
from moderation import account_blocks


async def vote(
    fed: Federation,
    session: AsyncSession,
    voter: Account,
    post: Post,
    poll: Poll,
    choices: Sequence[int],
) -> None:
    """A member votes (PollError if refused): counted here at once, then sent to the poll's
    author if it is elsewhere, or sent on as new results if it is here."""
    author = await session.get(Account, post.account_id)
    assert author is not None
    await _may_vote(session, voter, author, post)
    rows = await polls.vote(session, poll, author.id, voter.id, choices)
    if author.is_local:
        await send_results(fed, session, post, author, poll)
        return
    inboxes = await addressing.for_account(fed, session, author)
    for row in rows:
        row.uri = f"{voter.uri}#votes/{row.id}"
        note = {
            "id": row.uri,
            "type": "Note",
            "attributedTo": voter.uri,
            "name": poll.options[row.choice],
            "inReplyTo": post.uri,
            "to": [author.uri],
        }
        created = object_outbox.activity(voter, "Create", note, [AS_CONTEXT])
        activity = _addressed(created, [author.uri], [])
        await delivery.enqueue(session, activity, voter.id, inboxes)


async def take_vote(
    fed: Federation, session: AsyncSession, note: dict[str, Any], voter: Account
) -> str | None:
    """A remote vote on a poll here: None if the note is no vote on a poll we keep (it is
    then an ordinary reply), else what became of it ("counted", or why it was refused)."""
    if not poll_wire.is_vote(note):
        return None
    post = await posts.get_by_uri(session, id_of(note.get("inReplyTo")) or "")
    poll = await polls.of_post(session, post.id) if post is not None else None
    if post is None or poll is None:
        return None
    author = await session.get(Account, post.account_id)
    if author is None or not author.is_local:
        return "a vote on a poll from elsewhere is counted by its origin"
    if note["name"] not in poll.options:
        return "the vote names no option of the poll"
    try:
        await _may_vote(session, voter, author, post)
        await polls.add_choice(
            session, poll, author.id, voter.id, poll.options.index(note["name"]), note["id"]
        )
    except PollError as error:
        return str(error)
    await send_results(fed, session, post, author, poll)
    return "counted"


async def tell_ended(fed: Federation) -> int:
    """Tell the end of polls that have ended: a `poll` notification to their voters and
    authors here, and a local poll's closed Question to where it went (remote copies then
    show it ended, with its final counts). Returns how many."""
    async with fed.sessions() as session, session.begin():
        ended = await polls.newly_ended(session)
        for poll in ended:
            post = await session.get(Post, poll.post_id)
            author = await session.get(Account, post.account_id) if post is not None else None
            if post is None or author is None:
                continue
            await polls.notify_ended(session, poll, author.id)
            if author.is_local:
                await send_results(fed, session, post, author, poll)
    return len(ended)


async def _may_vote(session: AsyncSession, voter: Account, author: Account, post: Post) -> None:
    """A vote needs the post readable by the voter and no block between her and its author."""
    blocked = voter.id in await account_blocks.blocked_either_way(session, author)
    if blocked or not await posts.can_see(session, voter, post):
        raise PollError(N_("you cannot vote on this poll"))


async def send_results(
    fed: Federation, session: AsyncSession, post: Post, author: Account, poll: Poll
) -> None:
    """The poll's counts now, as an `Update` of its Question to where the post went and to
    every remote voter."""
    voter_ids = await polls.voter_ids(session, poll)
    found = await session.scalars(select(Account).where(Account.id.in_(voter_ids)))
    voters = addressing.addressable(found)  # a suspended voter is sent no more (attack5)
    mentioned = [a for a in await outbox.mentioned_of(session, post) if a.id != author.id]
    mentioned = addressing.addressable(mentioned)
    inboxes = await addressing.for_post(fed, session, post, author, mentioned)
    inboxes |= await addressing.for_followers_and(fed, session, author, voters)
    question = (await outbox.note_of(session, post, author)).to_document(with_context=False)
    updated = object_outbox.activity(author, "Update", question, to_wire.CONTEXT)
    activity = _addressed(updated, question["to"], question["cc"])
    await delivery.enqueue(session, activity, author.id, inboxes)


def _addressed(activity: dict[str, Any], to: list[str], cc: list[str]) -> dict[str, Any]:
    """The activity addressed to `to` and `cc` only (not publicly)."""
    return {**activity, "to": to, "cc": cc}
