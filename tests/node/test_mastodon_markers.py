"""Read markers through the client API, and the unread count they set for notifications."""

from __future__ import annotations

import httpx
import pytest

from node.state import Services
from tests.rig.members import member, members, post_status

pytestmark = pytest.mark.anyio


async def test_markers_round_trip_as_form_and_json(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice = await member(services, "alice")
    both = {"timeline[]": ["home", "notifications"]}
    assert (await client.get("/api/v1/markers", params=both, headers=alice.headers)).json() == {}

    saved = await client.post(
        "/api/v1/markers", data={"home[last_read_id]": "1234"}, headers=alice.headers
    )
    assert saved.status_code == 200
    assert list(saved.json()) == ["home"]
    home = saved.json()["home"]
    assert (home["last_read_id"], home["version"]) == ("1234", 1)
    assert home["updated_at"].endswith("Z")

    again = await client.post(
        "/api/v1/markers",
        json={"home": {"last_read_id": "1240"}, "notifications": {"last_read_id": "7"}},
        headers=alice.headers,
    )
    assert {k: (v["last_read_id"], v["version"]) for k, v in again.json().items()} == {
        "home": ("1240", 2),
        "notifications": ("7", 1),
    }
    read = await client.get("/api/v1/markers", params=both, headers=alice.headers)
    assert read.json() == again.json()
    only_home = await client.get(
        "/api/v1/markers", params={"timeline[]": "home"}, headers=alice.headers
    )
    assert list(only_home.json()) == ["home"]

    bob = await member(services, "bob")
    assert (await client.get("/api/v1/markers", params=both, headers=bob.headers)).json() == {}
    wrong = await client.post(
        "/api/v1/markers", data={"home[last_read_id]": "latest"}, headers=alice.headers
    )
    assert wrong.status_code == 422


async def test_unread_count_counts_notifications_after_the_marker(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await members(services, "alice", "bob")
    for n in range(3):
        await post_status(client, bob, f"@alice note {n}")

    async def unread(**params: object) -> object:
        response = await client.get(
            "/api/v1/notifications/unread_count", params=params, headers=alice.headers
        )
        return response.json()

    assert await unread() == {"count": 3}
    assert await unread(limit=2) == {"count": 2}
    assert await unread(**{"types[]": "favourite"}) == {"count": 0}
    newest, middle, _ = (await client.get("/api/v1/notifications", headers=alice.headers)).json()
    await client.post(
        "/api/v1/markers",
        data={"notifications[last_read_id]": middle["id"]},
        headers=alice.headers,
    )
    assert await unread() == {"count": 1}
    await client.post(
        "/api/v1/markers",
        data={"notifications[last_read_id]": newest["id"]},
        headers=alice.headers,
    )
    assert await unread() == {"count": 0}
