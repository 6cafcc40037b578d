"""Retention: with HARBOUR_RETENTION_* set, the worker's hourly prune forgets old direct
messages and members-only group posts, with their image files; other posts stay."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from content import posts
from content.accounts import Account
from content.audience import Visibility
from content.orm import utcnow
from content.posts import Post
from federation import delivery, delivery_retention, to_wire
from federation.delivery import Delivery, DeliveryBody
from federation.inbox import InboxItem
from federation.worker import Worker
from node.settings import Settings
from node.state import Services
from tests.node.conftest import EVE
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


async def test_ended_jobs_keep_no_direct_message_past_the_retention(
    services: Services, settings: Settings
) -> None:
    """An inbox item's and a delivery's body is a copy of what it carried: with retention,
    ended ones go once the shortest retention has passed, not after the 14 days ended jobs
    are otherwise kept (a direct message's words stayed there after the message went)."""
    await tokens(services, "alice")
    ended = {"old": utcnow() - timedelta(days=3), "new": utcnow() - timedelta(days=1)}
    async with services.sessions() as session, session.begin():
        alice = await session.scalar(select(Account).where(Account.username == "alice"))
        assert alice is not None
        for word, when in ended.items():
            dm = {"id": f"https://x.example/{word}", "type": "Create", "content": f"{word}-dm"}
            await delivery.enqueue(session, dm, alice.id, [f"https://x.example/{word}/inbox"])
            session.add(
                InboxItem(
                    activity_id=f"https://x.example/in/{word}",
                    activity_type="Create",
                    actor_id=alice.id,
                    body=json.dumps({"content": f"{word}-in"}),
                    state="applied",
                    next_attempt_at=when,
                )
            )
            await session.flush()
            await session.execute(
                update(Delivery)
                .where(Delivery.activity_id == dm["id"])
                .values(state="delivered", next_attempt_at=when)
            )

    short = dataclasses.replace(settings, retention_direct_days=2, retention_group_days=None)
    await Worker(services.federation, short.retention).prune()

    async with services.sessions() as session:
        bodies = [*await session.scalars(select(DeliveryBody.body))]
        bodies += [*await session.scalars(select(InboxItem.body))]
    assert sorted(word for body in bodies for word in ("old", "new") if word in body) == [
        "new",
        "new",
    ]


@pytest.mark.expect_failures(r"^delivery https://x\.example/old-dm failed: given up: ")
async def test_a_retrying_direct_message_is_given_up_when_its_retention_passes(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    """A delivery retries for up to 7 days: a direct message's words stayed in its body
    that long past a retention of 2 days. Now the body goes with the message and its
    delivery ends as given up; a public post's and a follow's go on retrying."""
    (alice,) = await tokens(services, "alice")
    await direct_message(client, alice, "old-dm")
    await direct_message(client, alice, "new-dm")
    response = await client.post("/api/v1/statuses", headers=alice, data={"status": "old-public"})
    assert response.status_code == 200
    made = {"old-dm": 3, "new-dm": 1, "old-public": 3, "follow": 3}  # days ago
    async with services.sessions() as session, session.begin():
        author = await session.scalar(select(Account).where(Account.username == "alice"))
        assert author is not None
        for word, days in made.items():
            post = await session.scalar(select(Post).where(Post.content_html.contains(word)))
            activity = (
                to_wire.create_activity(post, author)
                if post is not None
                else {"id": f"{author.uri}#follows/1", "type": "Follow", "object": EVE}
            )
            activity["id"] = f"{activity['id']}/{word}"
            await delivery.enqueue(session, activity, author.id, [f"https://x.example/{word}"])
            await session.execute(
                update(Delivery)
                .where(Delivery.inbox == f"https://x.example/{word}")
                .values(
                    created_at=utcnow() - timedelta(days=days),
                    state="retry",
                    attempts=5,
                    next_attempt_at=utcnow() + timedelta(hours=6),
                )
            )

    short = dataclasses.replace(settings, retention_direct_days=2, retention_group_days=None)
    await Worker(services.federation, short.retention).prune()

    async with services.sessions() as session:
        ended = {
            row.inbox.rpartition("/")[2]: (row.state, row.last_error, bool(row.body))
            for row in await session.scalars(select(Delivery))
        }
        bodies = " ".join(await session.scalars(select(DeliveryBody.body)))
    assert ended == {
        "old-dm": ("failed", delivery_retention.GIVEN_UP, False),
        "new-dm": ("retry", None, True),
        "old-public": ("retry", None, True),
        "follow": ("retry", None, True),
    }
    assert "old-dm" not in bodies and "new-dm" in bodies and "old-public" in bodies
