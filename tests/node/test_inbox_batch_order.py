"""A host's batch applies its items in the order they arrived, each as it would alone: a
note created and deleted in one batch is gone, a follow asked and undone is no follow, a
reply to a note of the same batch finds it, and a hostile item in the middle costs only
itself."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts, conversations
from content.posts import Mention, Post
from moderation.domain_blocks import BlockTerms, block
from node.state import Services
from tests.node.conftest import EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_inbox_batches import kept, worker_knowing_eve
from tests.node.test_inbox_safety import (
    Moderator,
    alice_has_no_follower,
    eve_follows_alice,
    policy_read,
)
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio


async def test_a_note_created_and_deleted_in_one_batch_is_gone(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    worker = await worker_knowing_eve(client, services)
    note = f"{EVE}/statuses/1"
    delete = {"id": f"{note}#delete", "type": "Delete", "actor": EVE, "object": note}
    update = note_to_alice(2)
    update = {**update, "id": f"{EVE}/statuses/2#update", "type": "Update"}
    update["object"] = {**update["object"], "content": "<p>edited</p>"}  # type: ignore[dict-item]
    for activity in (note_to_alice(1), note_to_alice(2), delete, update):
        assert (await deliver(client, activity)).status_code == 202
    await worker.run_once()
    assert await kept(services) == [f"{EVE}/statuses/0", f"{EVE}/statuses/2"]
    async with services.sessions() as session:
        edited = await session.scalar(select(Post).where(Post.uri == f"{EVE}/statuses/2"))
        assert edited is not None and "edited" in edited.content_html


async def test_a_reply_to_a_note_of_the_same_batch_finds_it(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    worker = await worker_knowing_eve(client, services)
    reply = note_to_alice(2)
    reply["object"] = {**reply["object"], "inReplyTo": f"{EVE}/statuses/1"}  # type: ignore[dict-item]
    for activity in (note_to_alice(1), reply):
        assert (await deliver(client, activity)).status_code == 202
    await worker.run_once()
    async with services.sessions() as session:
        stored = await session.scalar(select(Post).where(Post.uri == f"{EVE}/statuses/2"))
        assert stored is not None and stored.in_reply_to_uri == f"{EVE}/statuses/1"
        assert await inbox_outcome(session, f"{EVE}/statuses/2/activity") == ("applied", None)


async def test_a_follow_asked_and_undone_in_one_batch_is_no_follow(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    worker = await worker_knowing_eve(client, services)
    follow = eve_follows_alice()
    undo = {"id": f"{EVE}#undos/9", "type": "Undo", "actor": EVE, "object": follow}
    for activity in (follow, undo):
        assert (await deliver(client, activity)).status_code == 202
    await worker.run_once()
    assert await alice_has_no_follower(services)


async def test_a_block_made_while_a_batch_applies_holds_for_the_whole_batch(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """An admin suspends the server after the batch read the policy. On SQLite the block
    commits before the batch writes: nothing of the batch is kept (it was, after the
    suspension's purge), and its items end refused. On PostgreSQL the batch holds the
    policy's generation from that read on: the block waits for it and its purge comes
    after, so nothing of the server is kept either way."""
    worker = await worker_knowing_eve(client, services)
    for number in (1, 2, 3):
        assert (await deliver(client, note_to_alice(number))).status_code == 202

    async def suspend(session: AsyncSession) -> None:
        await block(session, BlockTerms(domain="remote.example"))

    moderator = Moderator(services, suspend, policy_read)
    await moderator.during(worker.run_once())
    assert await kept(services) == []
    async with services.sessions() as session:
        for number in (1, 2, 3):
            state, _ = await inbox_outcome(session, f"{EVE}/statuses/{number}/activity")
            assert state == ("refused" if moderator.done_in_pause else "applied")


async def test_a_direct_thread_in_one_batch_is_one_conversation_at_its_newest_post(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """The batch writes its conversation rows together (`content.batch_writes`): alice
    sees the thread once, at its last post, unread, with its posts and mentions kept."""
    worker = await worker_knowing_eve(client, services)
    thread = [note_to_alice(1)]
    for number in (2, 3):
        reply = note_to_alice(number)
        reply["object"] = {**reply["object"], "inReplyTo": f"{EVE}/statuses/{number - 1}"}  # type: ignore[dict-item]
        thread.append(reply)
    for activity in thread:
        assert (await deliver(client, activity)).status_code == 202
    assert await worker.run_once() == 3
    async with services.sessions() as session:
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        found = await conversations.page(session, alice)
        assert [(c.root_uri, p.uri, c.unread) for c, p in found] == [
            (f"{EVE}/statuses/1", f"{EVE}/statuses/3", True),  # newest first
            (f"{EVE}/statuses/0", f"{EVE}/statuses/0", True),
        ]
        mentioned = await session.scalar(
            select(func.count()).select_from(Mention).where(Mention.account_id == alice.id)
        )
        assert mentioned == 4  # notes 0 to 3
