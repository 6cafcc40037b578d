"""Polls: an ended poll takes no vote and its Question says it is closed; a Question from
elsewhere, as Mastodon publishes one, is read with its counts and kept bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import polls
from content.orm import iso, utcnow
from federation import poll_wire, to_wire
from tests.rig import world

pytestmark = pytest.mark.anyio


async def test_an_ended_poll_takes_no_vote_and_its_question_is_closed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        post = await world.post(session, ada, "Which evening?")
        poll = polls.create(session, post.id, polls.spec(["Monday", "Tuesday"], 300))
        await session.flush()
        assert to_wire.choices(poll).closed is None
        await polls.vote(session, poll, ada.id, bea.id, [1])
        poll.expires_at = utcnow() - timedelta(seconds=1)
        question = to_wire.choices(poll).fields()
        assert question["closed"] == iso(poll.expires_at) and question["votersCount"] == 1
        assert question["oneOf"][1] == {
            "type": "Note",
            "name": "Tuesday",
            "replies": {"type": "Collection", "totalItems": 1},
        }
        cy = await world.local_member(session, "cy")
        with pytest.raises(polls.PollError, match="has ended"):
            await polls.vote(session, poll, ada.id, cy.id, [0])


def test_a_mastodon_question_is_read_with_its_counts_and_bounded() -> None:
    question = {
        "id": "https://mastodon.example/users/eve/statuses/1",
        "type": "Question",
        "content": "<p>Which?</p>",
        "endTime": "2026-12-06T10:00:00Z",
        "votersCount": 7,
        "anyOf": [
            {"type": "Note", "name": f"option {n}" + "x" * 300, "replies": {"totalItems": n}}
            for n in range(15)
        ],
    }
    read = poll_wire.options_of(question)
    assert read is not None
    options, multiple = read
    assert multiple is True and len(options) == polls.MAX_REMOTE_OPTIONS
    assert options[3][1] == 3
    assert iso(poll_wire.end_of(question)) == "2026-12-06T10:00:00Z"  # type: ignore[arg-type]
    assert poll_wire.voters_of(question, options) == 7
    absurd = {**question, "votersCount": 2**40, "oneOf": [
        {"type": "Note", "name": "a", "replies": {"totalItems": 10**30}},
        {"type": "Note", "name": "b", "replies": {"totalItems": -5}},
    ]}  # fmt: skip
    del absurd["anyOf"]
    read = poll_wire.options_of(absurd)
    assert read is not None and read[0] == [("a", 2**31 - 1), ("b", 0)]
    assert poll_wire.voters_of(absurd, read[0]) == 2**31 - 1
    assert poll_wire.voters_of({}, read[0]) == 2**31 - 1  # the sum, bounded too
    vote = {"type": "Note", "name": "option 1", "inReplyTo": question["id"]}
    assert poll_wire.is_vote(vote) and not poll_wire.is_vote({**vote, "content": "<p>hi</p>"})
