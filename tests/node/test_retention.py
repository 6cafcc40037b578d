"""Retention: with HARBOUR_RETENTION_* set, the worker's hourly prune forgets old direct
messages and members-only group posts, with their image files; other posts stay."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from content import posts
from content.accounts import Account
from content.audience import Visibility
from content.orm import utcnow
from content.posts import Post
from federation.worker import Worker
from node.settings import Settings
from node.state import Services
from tests.node.test_media_api import tokens, upload
from tests.rig.images import phone_photo

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, retention_direct_days=30, retention_group_days=7)


async def direct_message(client: httpx.AsyncClient, auth: dict[str, str], text: str) -> str:
    """A direct message with a photo, through the client API; returns the photo's file name."""
    photo = (await upload(client, auth, phone_photo())).json()
    form = {"status": text, "visibility": "direct", "media_ids[]": photo["id"]}
    response = await client.post("/api/v1/statuses", headers=auth, data=form)
    assert response.status_code == 200, response.text
    return str(photo["url"].rpartition("/")[2])


async def members_post(services: Services, text: str) -> None:
    async with services.sessions() as session, session.begin():
        alice = await session.scalar(select(Account).where(Account.username == "alice"))
        assert alice is not None
        posts.create_local(session, alice, text, visibility=Visibility.MEMBERS)


async def age(services: Services, text: str, days: int) -> None:
    """Move a post's creation back `days` days, as if that much time had gone by."""
    async with services.sessions() as session, session.begin():
        await session.execute(
            update(Post)
            .where(Post.content_html.contains(text))
            .values(created_at=utcnow() - timedelta(days=days))
        )


async def texts(services: Services) -> set[str]:
    async with services.sessions() as session:
        kept = await session.scalars(select(Post.content_html))
        return {
            word
            for html in kept
            for word in ("old-dm", "new-dm", "old-group", "new-group", "old-public")
            if word in html
        }


async def test_old_direct_messages_and_members_posts_go_with_their_files(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    (alice,) = await tokens(services, "alice")
    old_file = await direct_message(client, alice, "old-dm")
    new_file = await direct_message(client, alice, "new-dm")
    await members_post(services, "old-group")
    await members_post(services, "new-group")
    response = await client.post("/api/v1/statuses", headers=alice, data={"status": "old-public"})
    assert response.status_code == 200
    await age(services, "old-dm", 31)
    await age(services, "new-dm", 29)
    await age(services, "old-group", 8)
    await age(services, "new-group", 6)
    await age(services, "old-public", 400)

    await Worker(services.federation, settings.retention).prune()

    assert await texts(services) == {"new-dm", "new-group", "old-public"}
    assert not (settings.media_dir / old_file).exists()
    assert (settings.media_dir / new_file).exists()
    assert (await client.get(f"/media/{old_file}")).status_code == 404
    assert (await client.get(f"/media/{new_file}")).status_code == 200


async def test_without_retention_settings_nothing_is_forgotten(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    (alice,) = await tokens(services, "alice")
    old_file = await direct_message(client, alice, "old-dm")
    await members_post(services, "old-group")
    await age(services, "old-dm", 3000)
    await age(services, "old-group", 3000)

    off = dataclasses.replace(settings, retention_direct_days=None, retention_group_days=None)
    await Worker(services.federation, off.retention).prune()

    assert await texts(services) == {"old-dm", "old-group"}
    assert (settings.media_dir / old_file).exists()
