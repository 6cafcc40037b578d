"""URLs from elsewhere reach pages and the client API only as http(s) links: a remote note's
`url`, an actor's `url` and images, an app's `website` (one check, `activitypub.web_url`),
whether they arrive now or were stored before the check existed."""

from __future__ import annotations

import secrets
from urllib.parse import SplitResult, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import update

from activitypub import jsonld, web_url
from content import accounts, oauth
from content.accounts import Account
from content.posts import Post
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
HOSTILE = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/relative",
    "https://",
    "https://[::1",
]


def test_only_absolute_http_urls_pass() -> None:
    assert [web_url(url) for url in HOSTILE] == [None] * len(HOSTILE)
    for url in ("https://a.example/@eve/1", "http://a.example:8080/x?y=1#z", "HTTPS://A.example"):
        assert web_url(url) == url


def test_a_url_seen_again_is_not_parsed_again_and_keeps_its_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A timeline page checks the same ~90 URLs as the page before it (issue 18).
    parsed: list[str] = []

    def counted(url: str) -> SplitResult:
        parsed.append(url)
        return urlsplit(url)

    monkeypatch.setattr(jsonld, "urlsplit", counted)
    fresh = secrets.token_hex(8)  # URLs no other test checked in this process
    seen = [f"https://{fresh}.example/@eve/1", f"javascript:alert({fresh})", f"https://:1/{fresh}"]
    answers = [web_url(url) for url in seen]
    assert [web_url(url) for url in seen] == answers == [seen[0], None, None]
    assert parsed == [seen[0], seen[1], seen[2]]


async def test_a_remote_notes_and_actors_urls_reach_no_page_or_client_as_scripts(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.documents[EVE]["url"] = "javascript:alert('actor')"
    create = note_to_alice(1)
    create["object"] = {**create["object"], "url": "javascript:alert('note')"}  # type: ignore[dict-item]
    assert (await deliver(client, create)).status_code == 202
    await Worker(services.federation).run_once()
    for stored_before_the_check in (False, True):
        async with services.sessions() as session, session.begin():
            alice = await accounts.get_local(session, "alice")
            assert alice is not None
            headers = await world.bearer(session, alice)
            if stored_before_the_check:
                hostile = "javascript:alert(2)"
                await session.execute(update(Post).values(url=hostile))
                values = {"url": hostile, "avatar_url": hostile, "header_url": hostile}
                await session.execute(update(Account).where(Account.uri == EVE).values(**values))
        status = (await client.get("/api/v1/notifications", headers=headers)).json()[0]["status"]
        assert status["url"] == f"{EVE}/statuses/1" and status["account"]["url"] == EVE
        assert status["account"]["avatar"] == f"{BASE}/static/avatar.png"
        assert status["account"]["header"] == f"{BASE}/static/header.png"
        signed = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
        assert signed.status_code == 303
        home = (await client.get("/home")).text
        assert f"{EVE}/statuses/1" in home and "javascript:" not in home
        client.cookies.clear()


async def test_an_apps_website_is_an_http_address_or_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    fields = {"client_name": "an app", "redirect_uris": world.OOB, "scopes": "read"}
    refused = await client.post("/api/v1/apps", data={**fields, "website": "javascript:alert(1)"})
    assert refused.status_code == 422 and "website" in refused.text
    made = await client.post("/api/v1/apps", data={**fields, "website": "https://app.example"})
    assert made.json()["website"] == "https://app.example"

    async with services.sessions() as session, session.begin():  # stored before the check
        await world.local_member(session, "alice")
        app, _ = oauth.register_app(
            session, name="old", redirect_uris=[world.OOB], scopes=["read"],
            website="javascript:alert(1)",
        )  # fmt: skip
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    query = urlencode({"client_id": app.client_id, "redirect_uri": world.OOB})
    page = await client.get(f"/oauth/authorize?{query}&response_type=code")
    assert "Let old use your account?" in page.text and "javascript:" not in page.text
