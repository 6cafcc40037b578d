"""Media through the client API: uploads lose their metadata, only owners use them, posts carry
them to other servers and bring theirs here."""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from content import relationships
from content.accounts import Account
from content.media import MediaAttachment
from content.orm import utcnow
from federation import resolve
from federation.delivery import Delivery
from federation.worker import Worker
from node.app import MAX_UPLOAD_BODY
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.images import has_gps, metadata_left, phone_photo, plain_png, png_header
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
ACTIVITY_JSON = {"accept": "application/activity+json"}


async def tokens(services: Services, *names: str) -> list[dict[str, str]]:
    """Authorization headers for new members (or existing ones) with these names."""
    headers = []
    async with services.sessions() as session, session.begin():
        for name in names:
            account = await session.scalar(select(Account).where(Account.username == name))
            account = account or await world.local_member(session, name, base_url=BASE)
            headers.append(
                {"authorization": f"Bearer {await world.bearer_token(session, account)}"}
            )
    return headers


async def upload(
    client: httpx.AsyncClient, auth: dict[str, str], data: bytes, **form: str
) -> httpx.Response:
    files = {"file": ("photo.jpg", data, "image/jpeg")}
    return await client.post("/api/v2/media", headers=auth, files=files, data=form)


async def test_an_uploaded_photo_is_served_upright_and_without_metadata(
    client: httpx.AsyncClient, services: Services
) -> None:
    [alice] = await tokens(services, "alice")

    response = await upload(
        client, alice, phone_photo(40, 20), description="Our stall", focus="0.5,-0.25"
    )

    assert response.status_code == 200, response.text
    entity = response.json()
    assert entity["type"] == "image"
    assert entity["url"].startswith(f"{BASE}/media/") and entity["url"].endswith(".jpg")
    assert entity["preview_url"] == entity["url"].removesuffix(".jpg") + ".small.jpg"
    size = {"width": 20, "height": 40, "size": "20x40", "aspect": 0.5}
    focus = {"x": 0.5, "y": -0.25}
    assert entity["meta"] == {"original": size, "small": size, "focus": focus}
    assert (entity["description"], entity["remote_url"]) == ("Our stall", None)
    assert isinstance(entity["blurhash"], str) and len(entity["blurhash"]) == 28
    path = f"/api/v1/media/{entity['id']}"
    moved = await client.put(path, headers=alice, data={"focus": "-1,1"})
    assert moved.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    assert (await client.put(path, headers=alice, data={"focus": "2,0"})).status_code == 422
    preview = await client.get(entity["preview_url"].removeprefix(BASE))
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    served = await client.get(entity["url"].removeprefix(BASE))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert metadata_left(served.content) == [] and not has_gps(served.content)
    assert Image.open(io.BytesIO(served.content)).size == (20, 40)
    for probe in ("/media/", "/media/secret.key", "/media/..%2Fsecret.key"):
        assert (await client.get(probe)).status_code == 404


async def test_a_tiny_png_claiming_900_million_pixels_is_refused_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Refused by the pixel count its header claims, before any decoding: a decoder would
    have failed on the missing image data instead (a timed check failed on a loaded CI)."""
    [alice] = await tokens(services, "alice")
    bomb = await upload(client, alice, png_header(30000, 30000))
    assert (bomb.status_code, bomb.json()) == (
        422,
        {"error": "Validation failed: the image has more than 33 million pixels"},
    )


async def test_what_is_not_an_image_or_too_big_is_refused_with_a_reason(
    client: httpx.AsyncClient, services: Services
) -> None:
    [alice] = await tokens(services, "alice")

    not_image = await upload(client, alice, b"%PDF-1.7 hello")
    too_many_pixels = await upload(client, alice, plain_png(8000, 6000, "1"))
    no_file = await client.post("/api/v2/media", headers=alice, data={"description": "x"})
    oversized = await client.post(
        "/api/v2/media",
        headers={**alice, "content-type": "multipart/form-data; boundary=x"},
        content=b"0" * (MAX_UPLOAD_BODY + 1),
    )

    assert (not_image.status_code, not_image.json()) == (
        422,
        {"error": "Validation failed: the file is not a JPEG, PNG, WebP or GIF image"},
    )
    assert too_many_pixels.json() == {
        "error": "Validation failed: the image has 8000×6000 pixels; at most 33 million"
    }
    assert no_file.json() == {"error": "Validation failed: the file is missing"}
    assert oversized.status_code == 413


async def test_only_upload_paths_take_bodies_over_a_mebibyte(
    client: httpx.AsyncClient, services: Services
) -> None:
    [alice] = await tokens(services, "alice")
    noisy = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(noisy, "PNG")
    assert noisy.tell() > 1_048_576

    accepted = await upload(client, alice, noisy.getvalue())
    refused = await client.post("/api/v1/statuses", headers=alice, data={"status": "x" * 1_100_000})

    assert accepted.status_code == 200 and accepted.json()["meta"]["original"]["width"] == 700
    assert refused.status_code == 413


async def test_members_post_their_own_unattached_media_and_servers_see_the_documents(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await tokens(services, "alice", "bob")
    photo = (await upload(client, alice, phone_photo())).json()
    media_path = f"/api/v1/media/{photo['id']}"

    assert (await client.get(media_path, headers=bob)).status_code == 404
    assert (await client.put(media_path, headers=bob, data={"description": "x"})).status_code == 404
    described = await client.put(
        media_path, headers=alice, json={"description": "A\x00 stall", "focus": "0.25,0.5"}
    )
    assert described.json()["description"] == "A stall"
    stolen = await client.post(
        "/api/v1/statuses", headers=bob, data={"status": "mine", "media_ids[]": photo["id"]}
    )
    assert stolen.json() == {
        "error": f"there is no attachment {photo['id']} of yours that is not in a post"
    }
    too_many = await client.post(
        "/api/v1/statuses", headers=alice, json={"status": "x", "media_ids": [photo["id"]] * 5}
    )
    assert too_many.json() == {"error": "a post has at most 4 attachments"}

    posted = await client.post(
        "/api/v1/statuses", headers=alice, data={"status": "", "media_ids[]": [photo["id"]]}
    )

    assert posted.status_code == 200, posted.text
    status = (await client.get(f"/api/v1/statuses/{posted.json()['id']}")).json()
    assert status["content"] == ""
    assert [(m["id"], m["description"]) for m in status["media_attachments"]] == [
        (photo["id"], "A stall")
    ]
    assert (await client.get(media_path, headers=alice)).status_code == 404  # in a post now
    again = await client.post(
        "/api/v1/statuses", headers=alice, data={"status": "again", "media_ids[]": photo["id"]}
    )
    assert again.status_code == 422
    note = (await client.get(status["uri"].removeprefix(BASE), headers=ACTIVITY_JSON)).json()
    assert note["attachment"] == [
        {
            "type": "Document",
            "mediaType": "image/jpeg",
            "url": photo["url"],
            "name": "A stall",
            "width": 20,
            "height": 40,
            "blurhash": photo["blurhash"],
            "focalPoint": [0.25, 0.5],
        }
    ]

    await client.delete(f"/api/v1/statuses/{status['id']}", headers=alice)
    assert (await client.get(photo["url"].removeprefix(BASE))).status_code == 404


async def test_attachments_of_remote_posts_are_kept_as_checked_links_served_here(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    image = "https://remote.example/files/1.png"
    attachments = [
        {"type": "Document", "mediaType": "image/png", "url": image, "name": "A <b>map</b>",
         "width": 640, "height": 480, "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
         "focalPoint": [-0.5, 1]},
        {"type": "Document", "mediaType": "image/png", "url": "http://remote.example/2.png"},
        {"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)"},
        {"type": "Link", "mediaType": "text/html", "href": "https://remote.example/"},
        {"type": "Video", "mediaType": "video/mp4", "url": [{"href": image + ".mp4"}],
         "blurhash": "<script>", "focalPoint": [2, 0]},
    ]  # fmt: skip
    activity = note_to_alice()
    activity["object"]["attachment"] = attachments  # type: ignore[index]
    assert (await deliver(client, activity)).status_code == 202
    await Worker(services.federation).run_once()
    [alice] = await tokens(services, "alice")

    [status] = (await client.get("/api/v1/timelines/home", headers=alice)).json()

    shown = [
        (m["type"], m["url"].split("/")[:6], m["remote_url"], m["description"], m["meta"])
        for m in status["media_attachments"]
    ]
    size = {"width": 640, "height": 480, "size": "640x480", "aspect": 640 / 480}
    [first, second] = (m["id"] for m in status["media_attachments"])
    proxy = ["https:", "", "harbour.test", "media", "proxy"]
    meta = {"original": size, "small": size, "focus": {"x": -0.5, "y": 1.0}}
    assert shown == [
        ("image", [*proxy, "media"], image, "A <b>map</b>", meta),
        ("video", [*proxy, "media"], image + ".mp4", None, {}),
    ]
    blurhashes = [m["blurhash"] for m in status["media_attachments"]]
    assert blurhashes == ["LEHV6nWB2yk8pyo0adR*.7kCMdnj", None]
    assert [m["url"].split("/")[6] for m in status["media_attachments"]] == [first, second]

    edited = {**activity["object"], "attachment": [attachments[4]]}  # type: ignore[dict-item]
    update = {"id": f"{EVE}#updates/1", "type": "Update", "actor": EVE, "object": edited}
    assert (await deliver(client, update)).status_code == 202
    await Worker(services.federation).run_once()
    [status] = (await client.get("/api/v1/timelines/home", headers=alice)).json()
    assert [m["type"] for m in status["media_attachments"]] == ["video"]


async def test_profile_edits_show_in_the_api_and_the_actor_and_go_to_followers(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        alice_row = await session.scalar(select(Account).where(Account.username == "alice"))
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert alice_row is not None
        await relationships.add_follow(session, eve, alice_row, uri=f"{EVE}#f/1", accepted=True)
    [alice] = await tokens(services, "alice")

    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=alice,
        data={
            "display_name": "Alice  at the harbour",
            "note": "Peer support <b>Fridays</b>\nhttps://example.org",
            "locked": "false",
            "bot": "true",
            "fields_attributes[0][name]": "Languages",
            "fields_attributes[0][value]": "nl, en",
        },
        files={"avatar": ("me.jpg", phone_photo(), "image/jpeg")},
    )

    assert response.status_code == 200, response.text
    me = response.json()
    link = (
        '<a href="https://example.org" rel="nofollow noopener noreferrer">https://example.org</a>'
    )
    assert (me["display_name"], me["locked"], me["bot"]) == ("Alice at the harbour", False, True)
    assert me["note"] == f"<p>Peer support &lt;b&gt;Fridays&lt;/b&gt;<br>{link}</p>"
    assert me["source"]["note"] == "Peer support <b>Fridays</b>\nhttps://example.org"
    assert me["fields"] == [{"name": "Languages", "value": "nl, en", "verified_at": None}]
    assert me["avatar"].startswith(f"{BASE}/media/") and me["header"] == f"{BASE}/static/header.png"
    avatar = await client.get(me["avatar"].removeprefix(BASE))
    assert avatar.status_code == 200 and metadata_left(avatar.content) == []
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=alice)).json() == me
    actor = (await client.get("/users/alice", headers=ACTIVITY_JSON)).json()
    assert (actor["type"], actor["name"], actor["icon"]) == (
        "Service",
        "Alice at the harbour",
        {"type": "Image", "url": me["avatar"]},
    )
    assert actor["attachment"] == [
        {"type": "PropertyValue", "name": "Languages", "value": "nl, en"}
    ]
    async with services.sessions() as session:
        sent = [json.loads(d.body) for d in await session.scalars(select(Delivery))]
    updates = [a for a in sent if a["type"] == "Update"]
    assert [(u["object"]["id"], u["object"]["summary"]) for u in updates] == [
        (f"{BASE}/users/alice", me["note"])
    ]

    too_long = await client.patch(
        "/api/v1/accounts/update_credentials", headers=alice, json={"display_name": "x" * 31}
    )
    assert too_long.json() == {
        "error": "Validation failed: a display name has at most 30 characters"
    }
    replaced = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=alice,
        files={"avatar": ("new.png", plain_png(5, 5), "image/png")},
    )
    assert replaced.json()["avatar"] != me["avatar"]
    assert (await client.get(me["avatar"].removeprefix(BASE))).status_code == 404
    assert (await client.get(replaced.json()["avatar"].removeprefix(BASE))).status_code == 200


async def test_uploads_never_put_into_a_post_are_removed_after_a_day(
    client: httpx.AsyncClient, services: Services
) -> None:
    [alice] = await tokens(services, "alice")
    made = [(await upload(client, alice, phone_photo(8, 8))).json() for _ in range(3)]
    forgotten, recent, posted = made
    status = {"status": "posted", "media_ids[]": [posted["id"]]}
    created = (await client.post("/api/v1/statuses", headers=alice, data=status)).json()
    edit = {"status": "edited, without the photo"}
    assert (
        await client.put(f"/api/v1/statuses/{created['id']}", headers=alice, data=edit)
    ).is_success
    async with services.sessions() as session, session.begin():
        for entity in (forgotten, posted):
            row = await session.get(MediaAttachment, int(entity["id"]))
            assert row is not None
            row.created_at = utcnow() - timedelta(days=1, minutes=1)

    await Worker(services.federation, services.settings.retention).prune()

    gone = [m for m in made if (await client.get(m["url"].removeprefix(BASE))).status_code == 404]
    assert gone == [forgotten]
    assert (await client.get(forgotten["preview_url"].removeprefix(BASE))).status_code == 404
    assert (await client.get(f"/api/v1/media/{forgotten['id']}", headers=alice)).status_code == 404
    assert (await client.get(f"/api/v1/media/{recent['id']}", headers=alice)).status_code == 200
