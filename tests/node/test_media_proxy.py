"""The media proxy in process: remote files are fetched by the node within its caps, served
from its own URLs, and only for rows it stored; reject-media servers are never asked."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from content.accounts import Account
from federation.media_proxy import MAX_BYTES
from federation.transport import Transport, TransportPolicy
from federation.worker import Worker
from moderation import domain_blocks
from moderation.domain_blocks import BlockTerms, Severity
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_media_api import tokens
from tests.rig.images import plain_png
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
FILES = "https://remote.example/files"
PICTURE = plain_png(6, 4)


class MediaServer:
    """remote.example's files, as its server sends them; every request is recorded."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.asked.append(path)
        if path.endswith("/huge.png"):
            return httpx.Response(200, content=b"\0" * (MAX_BYTES + 1), headers=_png())
        if path.endswith("/page.png"):
            return httpx.Response(200, content=b"<script>", headers={"content-type": "text/html"})
        return httpx.Response(200, content=PICTURE, headers=_png())


def _png() -> dict[str, str]:
    return {"content-type": "image/png"}


@pytest.fixture
async def files(services: Services, remote: FakeServer) -> MediaServer:
    server = MediaServer()
    await services.media_proxy.aclose()
    services.media_proxy.transport = Transport(
        TransportPolicy(static_hosts={"remote.example": "93.184.216.34"}),
        user_agent="test",
        transport=httpx.MockTransport(server.handle),
        max_response_bytes=MAX_BYTES,
    )
    return server


async def test_remote_files_come_from_this_node_within_caps_and_only_for_stored_rows(
    client: httpx.AsyncClient, services: Services, files: MediaServer
) -> None:
    activity = note_to_alice()
    activity["object"]["attachment"] = [  # type: ignore[index]
        {"type": "Document", "mediaType": "image/png", "url": f"{FILES}/{name}"}
        for name in ("fine.png", "huge.png", "page.png")
    ]
    assert (await deliver(client, activity)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session, session.begin():
        eve = await session.scalar(select(Account).where(Account.uri == EVE))
        assert eve is not None
        eve.avatar_url = f"{FILES}/eve.png"
    [alice] = await tokens(services, "alice")

    [status] = (await client.get("/api/v1/timelines/home", headers=alice)).json()

    urls = [m["url"] for m in status["media_attachments"]]
    avatar = status["account"]["avatar"]
    assert all(u.startswith(f"{BASE}/media/proxy/") for u in [*urls, avatar, *_previews(status)])
    assert status["account"]["avatar_static"] == avatar
    assert [m["remote_url"] for m in status["media_attachments"]] == [
        f"{FILES}/{name}" for name in ("fine.png", "huge.png", "page.png")
    ]
    fine, huge, page = [await client.get(u.removeprefix(BASE)) for u in urls]
    assert (fine.status_code, fine.content, fine.headers["content-type"]) == (
        200,
        PICTURE,
        "image/png",
    )
    assert fine.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert fine.headers["x-content-type-options"] == "nosniff"
    assert (huge.status_code, page.status_code) == (404, 404)
    assert (await client.get(avatar.removeprefix(BASE))).content == PICTURE
    asked = len(files.asked)
    assert (await client.get(urls[0].removeprefix(BASE))).content == PICTURE  # from the cache
    assert len(files.asked) == asked

    # No open proxy: a path must name a stored row and the digest of its URL now.
    media_id = status["media_attachments"][0]["id"]
    for probe in (
        f"/media/proxy/media/{media_id}/0000000000000000",
        f"/media/proxy/media/{status['account']['id']}/{urls[0].rsplit('/', 1)[1]}",
        f"/media/proxy/file/{media_id}/{urls[0].rsplit('/', 1)[1]}",
        "/media/proxy/media/https%3A%2F%2Fvictim.example%2Fa.png/x",
    ):
        assert (await client.get(probe)).status_code == 404, probe

    # Moderators reject remote.example's media: nothing more is fetched or served from it.
    async with services.sessions() as session, session.begin():
        terms = BlockTerms("remote.example", Severity.NOOP, reject_media=True)
        await domain_blocks.block(session, terms)
    asked = len(files.asked)
    assert (await client.get(urls[0].removeprefix(BASE))).status_code == 404
    refused = await client.get(avatar.removeprefix(BASE))
    assert (refused.status_code, refused.headers["location"]) == (302, "/static/avatar.png")
    assert len(files.asked) == asked


def _previews(status: dict[str, object]) -> list[str]:
    return [m["preview_url"] for m in status["media_attachments"]]  # type: ignore[attr-defined]
