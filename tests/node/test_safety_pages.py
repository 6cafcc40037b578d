"""Self-defence in the web pages, without JavaScript: block, mute for a while, unfollow,
remove a follower and report (to this node's moderators only), and the notifications page."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from content import accounts, notification_policy, posts, relationships
from content.accounts import Account
from content.posts import Post
from federation.worker import Worker
from moderation import account_blocks, mutes, reports
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_client_safety import alice_and_bob, eve_with_a_post
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def sign_in(client: httpx.AsyncClient) -> None:
    signed = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert signed.status_code == 303


async def sent(services: Services, remote: FakeServer) -> list[str]:
    await Worker(services.federation).run_once()
    return [json.loads(r.content)["type"] for r in remote.requests if r.method == "POST"]


async def test_a_report_from_a_post_reaches_only_this_nodes_moderators(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, _, _ = await alice_and_bob(services)
    eve = await eve_with_a_post(services, alice)
    async with services.sessions() as session:
        post = await session.scalar(select(Post).where(Post.account_id == eve.id))
        assert post is not None
    await sign_in(client)
    timeline = (await client.get("/home")).text
    link = f"/accounts/{eve.id}/safety?post={post.id}"
    assert f'<a href="{link}">Block, mute or report</a>' in timeline.replace("&amp;", "&")
    page = await client.get(link)
    assert f'name="post" value="{post.id}" checked' in page.text
    filed = await client.post(
        f"/accounts/{eve.id}/report",
        data={"category": "spam", "comment": "she keeps writing to me", "post": str(post.id)},
    )
    assert filed.headers["location"] == f"/accounts/{eve.id}/safety"
    assert "went to this node's moderators" in (await client.get(filed.headers["location"])).text
    async with services.sessions() as session:
        (report,) = await reports.open_reports(session)
    assert (report.target_id, report.reporter_id, report.category) == (eve.id, alice.id, "spam")
    assert (report.comment, report.forwarded) == ("she keeps writing to me", False)
    assert reports.reported_post_uris(report) == [post.uri]
    assert await sent(services, remote) == []


async def test_block_and_mute_for_a_day_from_the_page(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, _, _ = await alice_and_bob(services)
    eve = await eve_with_a_post(services, alice)
    await sign_in(client)
    page = f"/accounts/{eve.id}/safety"
    wrong = await client.post(f"/accounts/{eve.id}/mute", data={"duration": "12"})
    assert wrong.status_code == 400 and "how long" in wrong.text
    muted = await client.post(f"/accounts/{eve.id}/mute", data={"duration": "86400"})
    assert muted.status_code == 303
    assert "You mute this account until" in (await client.get(page)).text
    async with services.sessions() as session:
        mute = await mutes.find(session, alice, eve)
        assert mute is not None and mute.expires_at is not None and not mute.notifications
    await client.post(f"/accounts/{eve.id}/unmute")
    await client.post(f"/accounts/{eve.id}/block")
    assert "You block this account." in (await client.get(page)).text
    async with services.sessions() as session:
        assert await account_blocks.find(session, alice, eve) is not None
        assert await relationships.find_follow(session, alice, eve) is None
        assert await mutes.find(session, alice, eve) is None
    assert await sent(services, remote) == ["Block"]


async def test_unfollow_and_remove_a_follower(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, bob, _ = await alice_and_bob(services)
    await sign_in(client)
    page = (await client.get(f"/accounts/{bob.id}/safety")).text
    assert "You follow this account." in page and "This account follows you." in page
    await client.post(f"/accounts/{bob.id}/unfollow")
    await client.post(f"/accounts/{bob.id}/remove-follower")
    async with services.sessions() as session:
        assert await relationships.find_follow(session, alice, bob) is None
        assert await relationships.find_follow(session, bob, alice) is None
    own = await client.get(f"/accounts/{alice.id}/safety")
    assert own.status_code == 404
    elsewhere = await client.post(
        f"/accounts/{bob.id}/block", headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403


async def test_the_notifications_page_shows_mentions_replies_and_follows(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, bob, _ = await alice_and_bob(services)
    async with services.sessions() as session, session.begin():
        cat = await world.local_member(session, "cat", base_url=BASE)
        await relationships.add_follow(session, cat, alice, uri=f"{BASE}/f/9", accepted=False)
        bob = await session.get(Account, bob.id) or bob
        mentioned = await accounts.get_local(session, "alice")
        assert mentioned is not None
        original = await world.post(session, mentioned, "hello")
        posts.create_local(session, bob, "@alice hi there", mentioned=[mentioned])
        posts.create_local(
            session, bob, "@alice agreed", in_reply_to=original, mentioned=[mentioned]
        )
    await sign_in(client)
    page = (await client.get("/notifications")).text
    assert "mentioned you." in page and "replied to you." in page
    assert "asked to follow you." in page
    await client.post(f"/accounts/{bob.id}/mute", data={"duration": "0"})  # posts only
    assert "mentioned you." in (await client.get("/notifications")).text
    await client.post(f"/accounts/{bob.id}/unmute")
    muted = {"duration": "3600", "notifications": "hide"}
    await client.post(f"/accounts/{bob.id}/mute", data=muted)
    page = (await client.get("/notifications")).text
    assert "mentioned you." not in page and "asked to follow you." in page
    client.cookies.clear()
    assert (await client.get("/notifications")).headers["location"] == "/login?next=/notifications"


async def test_notifications_her_policy_holds_back_wait_behind_a_link(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """She chose (in her app) to hold back notifications from people she does not follow:
    the page says how many wait and shows them on their own page, with nothing lost."""
    alice, bob, _ = await alice_and_bob(services)
    async with services.sessions() as session, session.begin():
        await notification_policy.update(session, alice, {"for_not_following": "filter"})
        cat = await world.local_member(session, "cat", base_url=BASE)
        mentioned = await session.get(Account, alice.id)
        assert mentioned is not None
        posts.create_local(session, cat, "@alice is the van coming?", mentioned=[mentioned])
    await sign_in(client)
    page = (await client.get("/notifications")).text
    assert "is the van coming?" not in page
    assert '<a href="/notifications?held=1">1 notification held back' in page
    held = (await client.get("/notifications?held=1")).text
    assert "Held back by your notification settings" in held and "is the van coming?" in held
