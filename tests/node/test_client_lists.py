"""A member's own lists through the client API: bookmarks, favourites, pins, an account's
statuses, followers and following, and account search."""

from __future__ import annotations

import httpx
import pytest

from content import relationships
from content.accounts import Account
from content.audience import Visibility
from content.posts import Post
from node.state import Services
from tests.node.conftest import BASE
from tests.rig import world
from tests.rig.world import bearer

pytestmark = pytest.mark.anyio


async def members(services: Services) -> tuple[Account, Account, dict[str, str], dict[str, str]]:
    """alice and bob, who follows alice; with each one's Authorization header."""
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        bob = await world.local_member(session, "bob", base_url=BASE)
        await relationships.add_follow(session, bob, alice, uri=f"{BASE}/f/1", accepted=True)
        return alice, bob, await bearer(session, alice), await bearer(session, bob)


async def posts_by(services: Services, author: Account, *visibilities: Visibility) -> list[Post]:
    async with services.sessions() as session, session.begin():
        return [await world.post(session, author, f"{v} post", v) for v in visibilities]


def contents(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [s["content"] for s in response.json()]


async def test_bookmarks_are_private_paged_and_shown_on_the_status(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, _, alice_h, bob_h = await members(services)
    first, second, hidden = await posts_by(
        services, alice, Visibility.PUBLIC, Visibility.UNLISTED, Visibility.DIRECT
    )
    for post in (first, second):
        marked = await client.post(f"/api/v1/statuses/{post.id}/bookmark", headers=bob_h)
        assert marked.json()["bookmarked"] is True
    page = await client.get("/api/v1/bookmarks", params={"limit": 1}, headers=bob_h)
    assert contents(page) == ["<p>unlisted post</p>"]
    older = page.headers["link"].split(";")[0].strip("<>").removeprefix(BASE)
    assert contents(await client.get(older, headers=bob_h)) == ["<p>public post</p>"]
    assert (await client.get(f"/api/v1/statuses/{first.id}", headers=alice_h)).json()[
        "bookmarked"
    ] is False
    assert contents(await client.get("/api/v1/bookmarks", headers=alice_h)) == []
    invisible = await client.post(f"/api/v1/statuses/{hidden.id}/bookmark", headers=bob_h)
    assert invisible.status_code == 404
    await client.post(f"/api/v1/statuses/{second.id}/unbookmark", headers=bob_h)
    assert contents(await client.get("/api/v1/bookmarks", headers=bob_h)) == ["<p>public post</p>"]


async def test_favourites_list_the_viewers_likes_newest_first(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, _, _, bob_h = await members(services)
    first, second = await posts_by(services, alice, Visibility.PUBLIC, Visibility.PRIVATE)
    await client.post(f"/api/v1/statuses/{second.id}/favourite", headers=bob_h)
    await client.post(f"/api/v1/statuses/{first.id}/favourite", headers=bob_h)
    liked = await client.get("/api/v1/favourites", headers=bob_h)
    assert contents(liked) == ["<p>public post</p>", "<p>private post</p>"]
    assert 'rel="prev"' in liked.headers["link"]


async def test_pins_are_own_capped_at_five_and_listed_with_pinned_true(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, _, alice_h, bob_h = await members(services)
    mine = await posts_by(services, alice, *[Visibility.PUBLIC] * 6, Visibility.DIRECT)
    for post in mine[:5]:
        pinned = await client.post(f"/api/v1/statuses/{post.id}/pin", headers=alice_h)
        assert pinned.json()["pinned"] is True
    sixth = await client.post(f"/api/v1/statuses/{mine[5].id}/pin", headers=alice_h)
    assert sixth.status_code == 422
    assert sixth.json() == {"error": "you can pin at most 5 posts; unpin one first"}
    direct = await client.post(f"/api/v1/statuses/{mine[6].id}/pin", headers=alice_h)
    assert direct.status_code == 422
    not_hers = await client.post(f"/api/v1/statuses/{mine[0].id}/pin", headers=bob_h)
    assert not_hers.status_code == 422
    await client.post(f"/api/v1/statuses/{mine[0].id}/unpin", headers=alice_h)
    shown = await client.get(
        f"/api/v1/accounts/{alice.id}/statuses", params={"pinned": "true"}, headers=bob_h
    )
    assert [s["id"] for s in shown.json()] == [str(p.id) for p in reversed(mine[1:5])]
    assert all(s["pinned"] for s in shown.json())


async def test_account_statuses_show_only_what_the_viewer_may_read(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, _, alice_h, bob_h = await members(services)
    await posts_by(
        services,
        alice,
        Visibility.PUBLIC,
        Visibility.UNLISTED,
        Visibility.PRIVATE,
        Visibility.LOCAL,
        Visibility.DIRECT,
    )
    url = f"/api/v1/accounts/{alice.id}/statuses"
    assert contents(await client.get(url)) == ["<p>unlisted post</p>", "<p>public post</p>"]
    assert contents(await client.get(url, headers=bob_h)) == [
        "<p>local post</p>",
        "<p>private post</p>",
        "<p>unlisted post</p>",
        "<p>public post</p>",
    ]
    assert len(contents(await client.get(url, headers=alice_h))) == 5
    page = await client.get(url, params={"limit": 2}, headers=alice_h)
    assert contents(page) == ["<p>direct post</p>", "<p>local post</p>"]
    assert "max_id=" in page.headers["link"]
    assert contents(await client.get(url, params={"only_media": "true"})) == []


async def test_follower_lists_are_shown_only_to_the_account_itself(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob, alice_h, bob_h = await members(services)
    mine = await client.get(f"/api/v1/accounts/{alice.id}/followers", headers=alice_h)
    assert [a["username"] for a in mine.json()] == ["bob"]
    assert "link" in mine.headers
    assert (await client.get(f"/api/v1/accounts/{alice.id}/followers", headers=bob_h)).json() == []
    assert (await client.get(f"/api/v1/accounts/{alice.id}/followers")).json() == []
    theirs = await client.get(f"/api/v1/accounts/{bob.id}/following", headers=bob_h)
    assert [a["username"] for a in theirs.json()] == ["alice"]
    assert (await client.get(f"/api/v1/accounts/{bob.id}/following", headers=alice_h)).json() == []


async def test_account_search_by_name_prefix_leaves_out_blocked_accounts(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob, alice_h, _ = await members(services)
    async with services.sessions() as session, session.begin():
        amara = await world.local_member(session, "amara", base_url=BASE)
        amara = await session.merge(amara)
        amara.display_name = "Bobbie"
        amara.discoverable = True  # she opted in: strangers find her by a prefix
    found = await client.get("/api/v1/accounts/search", params={"q": "a"}, headers=alice_h)
    assert [a["username"] for a in found.json()] == ["alice", "amara"]
    by_name = await client.get("/api/v1/accounts/search", params={"q": "@bob"}, headers=alice_h)
    assert [a["username"] for a in by_name.json()] == ["amara", "bob"]
    assert (
        await client.get("/api/v1/accounts/search", params={"q": "%"}, headers=alice_h)
    ).json() == []
    await client.post(f"/api/v1/accounts/{bob.id}/block", headers=alice_h)
    after = await client.get("/api/v1/accounts/search", params={"q": "bob"}, headers=alice_h)
    assert [a["username"] for a in after.json()] == ["amara"]
    v2 = await client.get("/api/v2/search", params={"q": "ama"}, headers=alice_h)
    assert [a["username"] for a in v2.json()["accounts"]] == ["amara"]
    assert (await client.get("/api/v1/accounts/search", params={"q": "a"})).status_code == 401


async def test_a_member_who_has_not_opted_in_is_found_only_by_her_name_or_by_people_she_knows(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, _, alice_h, _ = await members(services)
    async with services.sessions() as session, session.begin():
        carla = await world.local_member(session, "carla", base_url=BASE)
        carla_h = await bearer(session, carla)

    async def found(query: str) -> list[str]:
        answer = await client.get("/api/v1/accounts/search", params={"q": query}, headers=alice_h)
        return [a["username"] for a in answer.json()]

    actor = await client.get("/users/carla", headers={"Accept": "application/activity+json"})
    assert actor.json()["discoverable"] is False  # closed by default
    assert await found("car") == []  # a stranger cannot browse for her
    assert await found("carla") == await found("@carla") == ["carla"]  # her exact name finds her
    v2 = await client.get("/api/v2/search", params={"q": "ca"}, headers=alice_h)
    assert v2.json()["accounts"] == []
    async with services.sessions() as session, session.begin():
        await relationships.add_follow(session, carla, alice, uri=f"{BASE}/f/9", accepted=True)
    assert await found("car") == ["carla"]  # she follows alice: not a stranger
    async with services.sessions() as session, session.begin():
        await relationships.remove_follow(session, carla, alice)
    assert await found("car") == []

    opted = await client.patch(
        "/api/v1/accounts/update_credentials", headers=carla_h, data={"discoverable": "true"}
    )
    assert (opted.json()["discoverable"], opted.json()["noindex"]) == (True, False)
    assert await found("car") == ["carla"]
