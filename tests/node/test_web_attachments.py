"""Images on the web pages: a member's own are shown with their description as alt text;
another server's are links, so reading a page here never tells that server who reads it."""

from __future__ import annotations

import httpx
import pytest

from federation.worker import Worker
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_media_api import tokens, upload
from tests.rig import world
from tests.rig.images import phone_photo
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_a_members_photo_shows_on_the_post_and_profile_pages_with_its_description(
    client: httpx.AsyncClient, services: Services
) -> None:
    [alice] = await tokens(services, "alice")
    photo = (await upload(client, alice, phone_photo(40, 20), description="Our stall")).json()
    posted = await client.post(
        "/api/v1/statuses",
        headers=alice,
        data={"status": "Come by", "media_ids[]": photo["id"], "visibility": "public"},
    )
    image = f'<img src="{photo["url"]}" alt="Our stall" width="20" height="40" loading="lazy">'

    post_page = await client.get(f"/@alice/{posted.json()['id']}")
    profile_page = await client.get("/@alice")

    assert image in post_page.text
    assert image in profile_page.text


async def test_another_servers_image_is_a_link_and_is_never_loaded_by_the_page(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    picture = "https://remote.example/files/1.png"
    activity = note_to_alice()
    activity["object"]["attachment"] = [  # type: ignore[index]
        {"type": "Document", "mediaType": "image/png", "url": picture, "name": "A <b>map</b>"}
    ]
    assert (await deliver(client, activity)).status_code == 202
    await Worker(services.federation).run_once()
    await tokens(services, "alice")
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})

    home = (await client.get("/home")).text

    assert (
        f'<a href="{picture}" rel="nofollow noopener noreferrer">Image on remote.example</a>'
        ": A &lt;b&gt;map&lt;/b&gt;"
    ) in home
    assert "<img" not in home
