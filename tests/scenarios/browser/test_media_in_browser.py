"""Remote images and avatars in a real Chromium on a phone, JavaScript off: a reader on node A
sees a post from node B with its photo and its author's avatar, and her browser asks no host
but A for anything; files of a refused type or size are refused and the page still works;
once A's moderators reject B's media, A fetches nothing more from B."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from content.media import MediaAttachment
from content.orm import new_id, utcnow
from federation.media_proxy import MAX_BYTES
from node.database import driver_url
from tests.clients.test_mastodon_py import client, follow_approved
from tests.rig.images import phone_photo
from tests.rig.nodes import NodeProcess, wait_for
from tests.scenarios.browser.test_directory_in_browser import sign_in

TEXT = "New flyers for the clinic #harbourflyers"


class HugeFiles(BaseHTTPRequestHandler):
    """A server sending a picture larger than any the node fetches."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(MAX_BYTES + 1))
        self.end_headers()
        self.wfile.write(b"\0" * (MAX_BYTES + 1))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the test's output is the node's."""


@pytest.fixture
def huge_files() -> Iterator[str]:
    """The address of a loopback server that sends only oversized pictures."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), HugeFiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Recorder:
    """Every request a page makes, and every answer it gets."""

    def __init__(self, page: Page) -> None:
        self.hosts: list[str] = []
        self.answers: dict[str, Response] = {}
        page.on("request", lambda request: self.hosts.append(urlsplit(request.url).netloc))
        page.on("response", lambda response: self.answers.__setitem__(response.url, response))

    def proxied(self) -> list[tuple[str, int, bool]]:
        """The media proxy's answers: kind, status and whether an image came."""
        return sorted(
            (
                url.split("/")[5],
                answer.status,
                answer.headers.get("content-type", "").startswith("image/"),
            )
            for url, answer in self.answers.items()
            if "/media/proxy/" in url
        )


@pytest.mark.fleet(size=2)
def test_a_readers_browser_asks_only_her_own_node_for_remote_images_and_avatars(
    fleet: list[NodeProcess], phone: Page, huge_files: str
) -> None:
    a, b = fleet
    bob = client(b, "bob", b.create_member("bob"))
    photo = phone_photo(60, 80)
    bob.account_update_credentials(avatar=io.BytesIO(photo), avatar_mime_type="image/jpeg")
    maria_password = a.create_member("maria")
    maria = client(a, "maria", maria_password)
    bob_at_a = follow_approved(maria, bob, f"bob@{b.domain}")
    uploaded = bob.media_post(io.BytesIO(photo), "image/jpeg", description="Flyers")
    bob.status_post(TEXT, media_ids=[uploaded], visibility="public")
    wait_for(lambda: bool(maria.timeline_home()), what="bob's post on A")
    # The post as a hostile server could have sent it: one more file of a type never
    # served (B's about page, HTML) and one larger than the node takes.
    add_attachments(a, maria.timeline_home()[0].id, bob_at_a.id, f"{b.base_url}/about", huge_files)

    recorded = Recorder(phone)
    sign_in(phone, a, "maria", maria_password)
    phone.goto(f"{a.base_url}/home")
    expect(phone.locator("main")).to_contain_text("New flyers for the clinic")
    expect(phone.get_by_role("img", name="Flyers")).to_be_visible()
    phone.goto(f"{a.base_url}/tags/harbourflyers")
    expect(phone.locator("main")).to_contain_text("New flyers for the clinic")

    assert set(recorded.hosts) == {a.domain}, recorded.hosts
    assert recorded.proxied() == [
        ("avatar", 200, True),
        ("media", 200, True),
        ("media", 404, False),
        ("media", 404, False),
    ]
    assert_images_shown(phone, ["Flyers"])

    # A's moderators reject B's media: A asks B for no file any more, the page still works.
    blocked = a.run("domain", "block", b.domain, "--severity", "noop", "--reject-media")
    assert blocked.returncode == 0, blocked.stderr
    asked_of_b = b.output().count("GET /media/")
    recorded = Recorder(phone)
    phone.goto(f"{a.base_url}/home")
    expect(phone.locator("main")).to_contain_text("New flyers for the clinic")
    assert set(recorded.hosts) == {a.domain}, recorded.hosts
    assert ("avatar", 302, False) in recorded.proxied()  # to A's default avatar
    assert {status for kind, status, _ in recorded.proxied() if kind == "media"} == {404}
    assert b.output().count("GET /media/") == asked_of_b


def add_attachments(node: NodeProcess, post_id: str, author_id: str, *urls: str) -> None:
    """Give a remote post on `node` attachments at `urls`, as its server could have named."""
    engine = create_engine(driver_url(node.database_url, asynchronous=False))
    with Session(engine) as session, session.begin():
        for url in urls:
            session.add(
                MediaAttachment(
                    id=new_id(),
                    account_id=int(author_id),
                    post_id=int(post_id),
                    type="image",
                    url=url,
                    remote_url=url,
                    mime_type="image/png",
                    description="",
                    created_at=utcnow(),
                    ever_posted=True,
                )
            )
    engine.dispose()


def assert_images_shown(page: Page, names: list[str]) -> None:
    """The named images are drawn (decoded, with a size), not broken."""
    for name in names:
        box = page.get_by_role("img", name=name).bounding_box()
        assert box is not None and box["width"] > 0, name
