"""Images on the web pages: a member's own are shown (their preview) with their description as
alt text; another server's come through this node's media proxy, so reading a page here never
tells that server who reads it."""

from __future__ import annotations

import re

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
    preview = photo["preview_url"].removeprefix("https://harbour.test")
    image = (
        f'<a href="{photo["url"]}"><img src="{preview}" alt="Our stall" width="20" height="40"'
        ' loading="lazy"></a>'
    )

    post_page = await client.get(f"/@alice/{posted.json()['id']}")
    profile_page = await client.get("/@alice")

    assert image in post_page.text
    assert image in profile_page.text


async def test_another_servers_image_is_shown_from_this_node_never_from_its_server(
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

    assert re.search(
        r'<a href="(/media/proxy/media/\d+/[0-9a-f]{16})"><img src="\1" alt="A &lt;b&gt;map'
        r'&lt;/b&gt;" loading="lazy"></a>',
        home,
    ), home
    assert "remote.example" not in "".join(re.findall(r'src="[^"]*"', home))
