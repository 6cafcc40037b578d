"""A member downloads her lists as Mastodon's CSV files and imports them, merging or
overwriting; the worker applies the lines and the page says how each went."""

from __future__ import annotations

import asyncio
import html
import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from content import accounts, bookmarks, relationships
from content.accounts import Account
from content.audience import Visibility
from content.relationships import FollowState
from federation import import_rows, outbox, resolve
from federation.imports import ImportRow, ListImport
from federation.transport import Transport
from federation.worker import Worker
from moderation import domain_blocks, member_domain_blocks, mutes
from moderation.domain_blocks import BlockTerms, Severity
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice, stored_posts
from tests.node.test_settings_pages import _cache_eve, sign_in
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
FINGER = "https://remote.example/.well-known/webfinger?resource=acct%3A{}%40remote.example"


def serve_webfinger(remote: FakeServer, username: str, uri: str) -> None:
    """remote.example answers WebFinger for `username`."""
    remote.documents[FINGER.format(username)] = {
        "subject": f"acct:{username}@remote.example",
        "links": [{"rel": "self", "type": "application/activity+json", "href": uri}],
    }


async def members(services: Services, *names: str) -> list[Account]:
    """alice (made by the `remote` fixture), then new local members `names`."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        return [alice] + [await world.local_member(session, name) for name in names]


async def upload(
    client: httpx.AsyncClient, kind: str, text: str | bytes, mode: str = "merge"
) -> httpx.Response:
    data = text.encode() if isinstance(text, str) else text
    return await client.post(
        "/settings/lists/import",
        data={"kind": kind, "mode": mode},
        files={"file": (f"{kind}.csv", data, "text/csv")},
    )


async def drain(services: Services) -> None:
    worker = Worker(services.federation)
    while await worker.run_once():
        pass


async def test_each_list_downloads_as_mastodons_file_to_her_only(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    eve = await _cache_eve(services)
    alice, bob, carol = await members(services, "bob", "carol")
    async with services.sessions() as session, session.begin():
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/1", accepted=True)
        await relationships.add_follow(session, alice, bob, uri=f"{BASE}/f/2", accepted=False)
        await outbox.block(services.federation, session, alice, carol)
        await mutes.mute(session, alice, eve, notifications=False)
        await member_domain_blocks.add(session, alice, "Spam.Example")
        post = await world.post(session, bob, "keep this")
        await bookmarks.add(session, alice, post)
        await relationships.add_follow(session, bob, eve, uri=f"{BASE}/f/3", accepted=True)
    await sign_in(client, "alice")
    page = await client.get("/settings/lists")
    for name in ("following_accounts", "blocked_accounts", "muted_accounts", "blocked_domains"):
        assert f'href="/settings/lists/{name}.csv"' in page.text
    expected = {
        "following_accounts.csv": "Account address,Show boosts,Notify on new posts,Languages\n"
        "eve@remote.example,true,false,\nbob@harbour.test,true,false,\n",
        "blocked_accounts.csv": "carol@harbour.test\n",
        "muted_accounts.csv": "Account address,Hide notifications\neve@remote.example,false\n",
        "blocked_domains.csv": "spam.example\n",
        "bookmarks.csv": f"{post.uri}\n",
    }
    for name, text in expected.items():
        answer = await client.get(f"/settings/lists/{name}")
        assert answer.text == text, name
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert answer.headers["cache-control"] == "no-store"
    assert (await client.get("/settings/lists/followers.csv")).status_code == 404
    client.cookies.clear()
    signed_out = await client.get("/settings/lists/following_accounts.csv")
    assert signed_out.status_code == 303 and "eve" not in signed_out.text


async def test_a_follows_import_is_queued_then_followed_through_federation(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    serve_webfinger(remote, "eve", EVE)
    await members(services, "bob")
    await sign_in(client, "alice")
    file = (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        "@eve@remote.example,true,false,\n"
        "bob@harbour.test,true,false,\n"
        "ghost@remote.example,true,false,\n"
        "alice,true,false,\n"
    )
    sent = await upload(client, "following_accounts", file)
    assert sent.headers["location"] == "/settings/lists"
    page = (await client.get("/settings/lists")).text
    assert "its lines are queued" in page
    assert "Lines: 4. Done: 0. Waiting: 4. Failed: 0." in page
    assert not [r for r in remote.requests if r.method == "POST"]  # nothing in the request

    await drain(services)
    follows = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert [(a["type"], a["object"]) for a in follows] == [("Follow", EVE)]
    page = (await client.get("/settings/lists")).text
    assert "Lines: 4. Done: 2. Waiting: 0. Failed: 2." in page
    assert '<code translate="no">ghost@remote.example</code>: cannot find @ghost' in page
    assert '<code translate="no">alice@harbour.test</code>: you cannot follow yourself' in page
    async with services.sessions() as session:
        alice, bob, eve = [
            await accounts.get_by_uri(session, f"{BASE}/users/{n}") for n in ("alice", "bob")
        ] + [await accounts.get_by_uri(session, EVE)]
        assert alice and bob and eve
        assert (await relationships.find_follow(session, alice, eve)) is not None
        assert (await relationships.find_follow(session, alice, bob)) is not None


async def test_merge_adds_and_overwrite_also_removes(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, bob, carol = await members(services, "bob", "carol")
    async with services.sessions() as session, session.begin():
        await member_domain_blocks.add(session, alice, "old.example")
        await outbox.block(services.federation, session, alice, bob)
    await sign_in(client, "alice")

    await upload(client, "blocked_domains", "new.example\nNEW.example\n")
    await drain(services)
    listed = await client.get("/settings/lists/blocked_domains.csv")
    assert listed.text == "new.example\nold.example\n"

    overwrite = await upload(client, "blocked_domains", "third.example\n", mode="overwrite")
    assert overwrite.status_code == 303
    await drain(services)
    assert (await client.get("/settings/lists/blocked_domains.csv")).text == "third.example\n"

    await upload(client, "blocked_accounts", "carol@harbour.test\n", mode="overwrite")
    await drain(services)
    assert (await client.get("/settings/lists/blocked_accounts.csv")).text == (
        "carol@harbour.test\n"
    )
    await upload(client, "muted_accounts", "Account address,Hide notifications\nbob,false\n")
    await drain(services)
    async with services.sessions() as session:
        mute = await mutes.find(session, alice, bob)
        assert mute is not None and mute.notifications is False


async def test_an_overwrite_keeps_an_account_its_server_writes_another_way(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """dana's address is dana@remote.example (her server's WebFinger) and her actor lives at
    victim.example, as a Mastodon server with a web domain of its own has it: the file her
    old server wrote names her so. An overwrite keeps her approved follow (it once unfollowed
    her and asked again, found by the attack on imports), and still drops eve."""
    dana = "https://victim.example/users/dana"
    remote.add_actor(dana, keypair_for_tests(4), "dana")
    serve_webfinger(remote, "dana", dana)
    eve = await _cache_eve(services)
    (alice,) = await members(services)
    async with services.sessions() as session, session.begin():
        cached = await resolve.fetch_actor(services.federation, session, dana)
        await relationships.add_follow(session, alice, cached, uri=f"{BASE}/f/1", accepted=True)
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/2", accepted=True)
    await sign_in(client, "alice")

    file = "Account address\ndana@remote.example\n"
    await upload(client, "following_accounts", file, mode="overwrite")
    await drain(services)

    listed = await client.get("/settings/lists/following_accounts.csv")
    assert listed.text.splitlines()[1:] == ["dana@victim.example,true,false,"]
    sent = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert [(a["type"], a["object"]["object"]) for a in sent] == [("Undo", EVE)]
    async with services.sessions() as session:
        follow = await relationships.find_follow(session, alice, cached)
        assert follow is not None and follow.state == FollowState.ACCEPTED


async def test_a_long_import_shares_the_worker_with_another_members_import(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """alice queues 40 lines, then bob one: the worker's first batch applies bob's line too
    (it once took alice's oldest 16, and on slow servers bob waited for all of hers)."""
    await members(services, "bob")
    await sign_in(client, "alice")
    await upload(client, "blocked_domains", "".join(f"s{n}.example\n" for n in range(40)))
    client.cookies.clear()
    await sign_in(client, "bob")
    await upload(client, "blocked_domains", "spam.example\n")

    await import_rows.run_due(services.federation, timedelta(minutes=5))

    page = (await client.get("/settings/lists")).text
    assert "Lines: 1. Done: 1. Waiting: 0. Failed: 0." in page
    client.cookies.clear()
    await sign_in(client, "alice")
    page = (await client.get("/settings/lists")).text
    assert "Lines: 40. Done: 8. Waiting: 32. Failed: 0." in page


async def test_a_file_that_cannot_be_imported_is_refused_with_the_reason(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await sign_in(client, "alice")
    refusals = {
        "The file has 2001 lines; one import takes at most 2000. Split it.": "\n".join(
            f"a{n}.example" for n in range(2001)
        ),
        "The file is larger than 1 MiB.": "a.example\n" * 110_000,
        "Line 2, “not a domain!”, is not a server name such as server.example.": (
            "a.example\nnot a domain!\n"
        ),
        "The file is not a CSV text file (UTF-8).": b"\xff\xfe\x00junk",
        "The file has no lines to import.": "\n\n",
    }
    for reason, text in refusals.items():
        answer = await upload(client, "blocked_domains", text)
        assert await world.notice_after(client, answer) == reason
    async with services.sessions() as session:
        assert (await session.scalar(ImportRow.__table__.select().limit(1))) is None

    waiting = await upload(client, "blocked_domains", "a.example\n")
    assert waiting.status_code == 303
    again = await upload(client, "blocked_domains", "b.example\n")
    notice = await world.notice_after(client, again)
    assert notice == "Your last import of this list is still under way."
    too_large = await client.post(
        "/settings/lists/import",
        data={"kind": "bookmarks"},
        files={"file": ("big.csv", b"x" * (3 * 1024 * 1024), "text/csv")},
    )
    assert too_large.status_code == 413


async def test_bookmarks_and_refusals_each_line_says_what_became_of_it(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, bob = await members(services, "bob")
    async with services.sessions() as session, session.begin():
        open_post = await world.post(session, bob, "for everyone")
        hidden = await world.post(session, bob, "for followers", Visibility.PRIVATE)
        await domain_blocks.block(session, BlockTerms("cut.example", Severity.SUSPEND))
    await sign_in(client, "alice")
    await upload(client, "bookmarks", f"{open_post.uri}\n{hidden.uri}\n")
    await upload(client, "blocked_accounts", "troll@cut.example\n")
    await drain(services)
    page = html.unescape((await client.get("/settings/lists")).text)
    assert f"{hidden.uri}</code>: {hidden.uri} is not a post you can read" in page
    assert "troll@cut.example</code>: cut.example is not a server this node federates with" in page
    assert (await client.get("/settings/lists/bookmarks.csv")).text == f"{open_post.uri}\n"

    deleted = await client.post("/settings/delete", data={"password": world.PASSWORD})
    assert deleted.status_code == 200
    async with services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ListImport)) == 0


async def test_an_import_waiting_on_a_slow_server_never_holds_up_federation(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """victim.example takes its time to answer WebFinger; meanwhile a post to alice arrives
    and is applied, and the import's line is done once the server answers."""
    answer = asyncio.Event()

    async def slow_victim(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "victim.example":
            await answer.wait()
        return remote.handle(request)

    fed = services.federation
    await fed.transport.aclose()
    fed.transport = Transport(
        fed.transport.policy, user_agent="test", transport=httpx.MockTransport(slow_victim)
    )
    await sign_in(client, "alice")
    await upload(client, "following_accounts", "slow@victim.example\n")
    worker = Worker(services.federation)
    running = asyncio.create_task(worker.run_forever())
    try:
        assert (await deliver(client, note_to_alice())).status_code == 202
        fed.notify()
        async with asyncio.timeout(20):
            while not await stored_posts(services):
                await asyncio.sleep(0.05)
        page = (await client.get("/settings/lists")).text
        assert "Waiting: 1." in page, page
        answer.set()
        async with asyncio.timeout(20):
            while "Waiting: 1." in (await client.get("/settings/lists")).text:
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running
    assert "Failed: 1." in (await client.get("/settings/lists")).text  # no such account there
