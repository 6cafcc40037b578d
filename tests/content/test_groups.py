"""Discussion groups as content: who may read and join, bans, and how threads are ordered."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import Actor, ActorType, PublicKey
from content import accounts, group_threads, groups, posts, relationships
from content.audience import Visibility
from content.groups import GroupError, GroupVisibility
from tests.rig import world
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio


async def group(session: AsyncSession, visibility: GroupVisibility) -> groups.Space:
    moderator = await world.local_member(session, "mod")
    return await groups.create(
        session,
        base_url=world.BASE_URL,
        username="peers",
        keypair=keypair_for_tests(1),
        title="Peers",
        visibility=visibility,
        moderator=moderator,
    )


async def remote(session: AsyncSession) -> accounts.Account:
    uri = "https://remote.example/users/eve"
    key = PublicKey(id=f"{uri}#main-key", owner=uri, pem=keypair_for_tests(3).public_pem)
    actor = Actor(
        id=uri,
        type=ActorType.PERSON,
        preferred_username="eve",
        inbox=uri,
        outbox=None,
        public_key=key,
    )
    return await accounts.upsert_remote(session, actor, "remote.example")


async def test_who_reads_each_kind_of_group(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        space = await group(session, GroupVisibility.MEMBERS)
        bea = await world.local_member(session, "bea")
        eve = await remote(session)
        mod = await accounts.get_local(session, "mod")
        assert not await groups.can_read(session, space, None)
        assert not await groups.can_read(session, space, bea)
        assert await groups.can_read(session, space, mod)  # moderators read without joining
        await relationships.add_follow(session, bea, space.account, uri="f1", accepted=True)
        assert await groups.can_read(session, space, bea)
        assert space.post_visibility == Visibility.MEMBERS
        local_only = groups.Space(space.account, groups.Group(visibility=GroupVisibility.LOCAL))
        assert await groups.can_read(session, local_only, bea)
        assert not await groups.can_read(session, local_only, eve)
        assert await groups.refuses(session, local_only, eve) is not None
        assert await groups.refuses(session, local_only, bea) is None


async def test_a_ban_ends_membership_and_is_refused_until_lifted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        space = await group(session, GroupVisibility.PUBLIC)
        eve = await remote(session)
        await relationships.add_follow(session, eve, space.account, uri="f1", accepted=True)
        assert await groups.membership(session, space.account, eve) == "member"
        await groups.ban(session, space.account, eve)
        assert await groups.membership(session, space.account, eve) == ""
        assert await groups.refuses(session, space, eve) == "you are banned from this group"
        await groups.unban(session, space.account, eve)
        assert await groups.refuses(session, space, eve) is None


async def test_threads_are_listed_pinned_first_then_by_latest_activity(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        space = await group(session, GroupVisibility.PUBLIC)
        author = await accounts.get_local(session, "mod")
        assert author is not None
        entries = {}
        for title in ("first", "second", "third"):
            opener = await world.post(session, author, title)
            entries[title] = group_threads.add_post(
                session, opener, space.account, thread=None, title=title
            )
            await session.flush()
        first = entries["first"]
        first_post = await session.get(posts.Post, first.post_id)
        reply = posts.create_local(session, author, "a reply", in_reply_to=first_post)
        await session.flush()
        group_threads.add_post(session, reply, space.account, thread=first)
        await session.flush()
        listed = [
            (e.title, n) for e, _, _, n in await group_threads.threads(session, space.account)
        ]
        assert listed == [("first", 1), ("third", 0), ("second", 0)]
        group_threads.pin(entries["second"], on=True)
        await session.flush()
        listed = [e.title for e, _, _, _ in await group_threads.threads(session, space.account)]
        assert listed == ["second", "first", "third"]
        reply_entry = await group_threads.entry_of(session, reply)
        assert reply_entry is not None and reply_entry.thread_id == first.post_id
        with pytest.raises(GroupError):
            group_threads.pin(reply_entry, on=True)
        with pytest.raises(GroupError):
            await groups.create(
                session,
                base_url=world.BASE_URL,
                username="new",
                keypair=keypair_for_tests(1),
                title="",
                visibility=GroupVisibility.PUBLIC,
            )
