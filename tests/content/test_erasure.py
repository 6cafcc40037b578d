"""Erasing a member: their posts, follows and login go, and their username stays taken."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from content import accounts, corrections, media, users
from content.corrections import Correction, Kind
from content.directory import Listing
from content.erasure import erase_local_account
from content.media import MediaAttachment
from content.posts import Post
from content.relationships import Follow, FollowState, count_followers
from tests.rig import world
from tests.rig.images import plain_png
from tests.rig.world import PASSWORD

pytestmark = pytest.mark.anyio


async def _erase_ada(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        cat = await world.local_member(session, "cat")
        ada.display_name = "Ada L."
        ada.summary_html = "<p>about me</p>"
        ada.avatar_url = f"{world.BASE_URL}/media/{'a' * 32}.png"
        image = media.clean_image(plain_png(2, 2))
        for owner, name in ((ada, "ada-upload.png"), (bea, "bea-upload.png")):
            media.add_local(session, owner, image, file_name=name, base_url=world.BASE_URL)
        await world.post(session, ada, "mine")
        await world.post(session, bea, "bea's")
        for follower, followed in ((ada, bea), (bea, ada), (cat, bea)):
            session.add(
                Follow(follower_id=follower.id, followed_id=followed.id, state=FollowState.ACCEPTED)
            )

    async with sessions() as session, session.begin():
        member = await accounts.get_local(session, "ada")
        assert member is not None
        return await erase_local_account(session, member)


async def test_erasure_removes_posts_follows_and_login_of_that_member_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    files = await _erase_ada(sessions)

    assert files == ["ada-upload.png", f"{'a' * 32}.png"]
    async with sessions() as session, session.begin():
        assert (await session.scalars(select(Post.content_html))).all() == ["<p>bea's</p>"]
        uploads = await session.scalars(select(MediaAttachment.file_name))
        assert uploads.all() == ["bea-upload.png"]
        follows = (await session.scalars(select(Follow))).all()
        bea = await accounts.get_local(session, "bea")
        cat = await accounts.get_local(session, "cat")
        assert bea is not None and cat is not None
        assert [(f.follower_id, f.followed_id) for f in follows] == [(cat.id, bea.id)]
        assert await count_followers(session, bea) == 1
        assert await users.authenticate(session, "ada", PASSWORD) is None
        assert await users.authenticate(session, "bea", PASSWORD) is not None


async def test_the_erased_account_is_a_blank_hidden_tombstone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _erase_ada(sessions)

    async with sessions() as session:
        assert await accounts.get_local(session, "ada") is None
        ada = await accounts.get_local(session, "ada", include_gone=True)
        assert ada is not None
        assert ada.is_gone and ada.deleted_at is not None
        assert (ada.display_name, ada.summary_html, ada.avatar_url) == ("", "", None)
        assert ada.uri == f"{world.BASE_URL}/users/ada"
        assert await users.user_of(session, ada) is None
        assert await accounts.count_local(session, ActorType.PERSON) == 2


async def test_an_erased_username_is_never_given_to_someone_else(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _erase_ada(sessions)

    async with sessions() as session, session.begin():
        with pytest.raises(accounts.UsernameError, match="^the username “ada” is taken$"):
            await world.local_member(session, "ada")


async def test_erasure_forgets_which_corrections_she_sent_and_unsigns_hers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        organisation = await world.local_actor(session, "org", ActorType.ORGANIZATION)
        listing = Listing(
            uri=f"{world.BASE_URL}/directory/1", account_id=organisation.id, name="Clinic",
            organisation="Rosa", country="RO", last_verified=date(2026, 1, 1), verified_by="Rosa",
        )  # fmt: skip
        session.add(listing)
        await session.flush()
        uri = f"{world.BASE_URL}/corrections/x"
        suggestion = corrections.Checked(Kind.HOURS, "20:00")
        corrections.file(session, uri=uri, organisation=organisation, target=listing,
                         suggestion=suggestion, signed_by=ada.uri)  # fmt: skip
        corrections.remember_sent(
            session, uri=uri, member=ada, organisation_uri=organisation.uri, kind=Kind.HOURS,
            subject="Clinic", path="/directory/1",
        )  # fmt: skip
    async with sessions() as session, session.begin():
        member = await accounts.get_local(session, "ada")
        assert member is not None
        await erase_local_account(session, member)
    async with sessions() as session:
        assert await corrections.sent(session, uri) is None
        kept = (await session.scalars(select(Correction))).one()
        assert (kept.text, kept.signed_by) == ("20:00", "")
