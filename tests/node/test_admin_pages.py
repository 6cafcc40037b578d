"""The moderators' pages, driven as a browser would: the report queue and its forms, domain
blocks for admins, the audit log, and a 403 for everyone else."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from content import accounts, posts, relationships
from content.posts import Post
from content.users import Role
from federation.worker import Worker
from moderation import domain_blocks, reports
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_admin_api import alice_reports_eve
from tests.node.test_settings_pages import _cache_eve, sign_in
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def person(services: Services, name: str, role: Role) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, name, base_url=BASE, role=role)


async def test_members_get_a_403_and_moderators_no_domain_pages(
    client: httpx.AsyncClient, services: Services
) -> None:
    assert (await client.get("/admin/reports")).headers["location"] == "/login?next=/admin/reports"
    await person(services, "mel", Role.MEMBER)
    await person(services, "mo", Role.MODERATOR)
    await sign_in(client, "mel")
    assert 'href="/admin"' not in (await client.get("/settings")).text
    for path in ("/admin", "/admin/reports", "/admin/audit", "/admin/domains"):
        page = await client.get(path)
        assert page.status_code == 403 and "for the moderators of this node" in page.text
    refused = await client.post("/admin/domains/block", data={"domain": "bad.example"})
    assert refused.status_code == 403
    await sign_in(client, "mo")
    assert 'href="/admin"' in (await client.get("/settings")).text
    start = await client.get("/admin")
    assert 'href="/admin/reports"' in start.text and "/admin/domains" not in start.text
    assert (await client.get("/admin/domains")).status_code == 403
    assert (
        await client.post("/admin/domains/block", data={"domain": "x.example"})
    ).status_code == 403
    async with services.sessions() as session:
        assert await domain_blocks.all_blocks(session) == []


async def test_a_moderator_resolves_a_report_and_deletes_the_post_through_the_forms(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    _, eve, report_id = await alice_reports_eve(services)
    await person(services, "mo", Role.MODERATOR)
    await sign_in(client, "mo")
    queue = await client.get("/admin/reports")
    assert f"Report {report_id} about @eve@remote.example" in queue.text
    assert "threats" in queue.text and "<p>threatening</p>" in queue.text
    assert '<label for="note-' in queue.text  # every field has its label
    # Suspending a remote account ends her follows here for good: the moderator is told.
    assert "end for good; lifting the suspension does not bring them back" in queue.text
    forwarded = await client.post(
        f"/admin/reports/{report_id}/forward", data={"comment": "threats to a member here"}
    )
    assert forwarded.headers["location"] == "/admin/reports"

    other_site = await client.post(
        f"/admin/reports/{report_id}/resolve",
        data={"note": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403
    async with services.sessions() as session:
        post = await posts.get_by_uri(session, f"{eve.uri}/statuses/1")
        assert post is not None
    deleted = await client.post(f"/admin/posts/{post.id}/delete", data={"reason": "threat"})
    assert deleted.headers["location"] == "/admin/reports"
    limited = await client.post(
        f"/admin/accounts/{eve.id}/action", data={"type": "silence", "reason": "threats"}
    )
    assert limited.status_code == 303
    resolved = await client.post(
        f"/admin/reports/{report_id}/resolve",
        data={"note": "post removed, account limited"},
    )
    assert resolved.headers["location"] == "/admin/reports"
    assert "No reports are waiting." in (await client.get("/admin/reports")).text
    closed = await client.get("/admin/reports?resolved=1")
    assert "post removed, account limited" in closed.text and "limited" in closed.text
    async with services.sessions() as session:
        report = await session.get(reports.Report, report_id)
        assert report is not None and report.resolved_at is not None and report.forwarded
        assert (await session.scalars(select(Post))).all() == []
        eve_now = await accounts.get_by_uri(session, eve.uri)
        assert eve_now is not None and eve_now.silenced_at is not None
    log = (await client.get("/admin/audit")).text
    for line in (
        "post.delete",
        "account.silence @eve@remote.example — threats",
        "report.forward",
        "report.resolve",
    ):
        assert line in log


async def test_a_moderator_deletes_a_reported_local_post_everywhere(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    eve = await _cache_eve(services)
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        bob = await world.local_member(session, "bob", base_url=BASE)
        await relationships.add_follow(session, eve, bob, uri=f"{eve.uri}/f/1", accepted=True)
        post = await world.post(session, bob, "doxxing someone")
        await reports.file_report(
            session, reporter=alice, target=bob, post_uris=[post.uri], comment="doxxing",
            category="violation",
        )  # fmt: skip
    await person(services, "mo", Role.MODERATOR)
    await sign_in(client, "mo")
    queue = (await client.get("/admin/reports")).text
    assert "doxxing someone" in queue and "does not bring them back" not in queue  # bob's local
    gone = await client.post(f"/admin/posts/{post.id}/delete", data={"reason": "doxxing"})
    assert gone.status_code == 303
    assert (await client.get(f"/@bob/{post.id}")).status_code == 404
    await Worker(services.federation).run_once()
    [sent] = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert (sent["type"], sent["actor"], sent["object"]["id"]) == (
        "Delete", f"{BASE}/users/bob", post.uri,
    )  # fmt: skip
    assert f"post.delete {post.uri} — doxxing" in (await client.get("/admin/audit")).text


async def test_an_admin_blocks_and_unblocks_a_domain_through_the_form(
    client: httpx.AsyncClient, services: Services
) -> None:
    await person(services, "ada", Role.ADMIN)
    await sign_in(client, "ada")
    assert "No domain is blocked." in (await client.get("/admin/domains")).text
    bad = await client.post("/admin/domains/block", data={"domain": "com", "severity": "suspend"})
    assert "is not a domain" in await world.notice_after(client, bad)
    made = await client.post(
        "/admin/domains/block",
        data={
            "domain": "Hostile.Example",
            "severity": "suspend",
            "reject_reports": "on",
            "public_comment": "Harassment",
            "private_comment": "doxxing our members",
        },
    )
    assert made.headers["location"] == "/admin/domains"
    async with services.sessions() as session:
        [row] = await domain_blocks.all_blocks(session)
        assert (row.domain, row.severity, row.reject_reports, row.reject_media) == (
            "hostile.example", "suspend", True, False,
        )  # fmt: skip
    page = (await client.get("/admin/domains")).text
    assert "hostile.example" in page and "doxxing our members" in page
    await client.post("/admin/domains/unblock", data={"domain": "hostile.example"})
    async with services.sessions() as session:
        assert await domain_blocks.all_blocks(session) == []
    log = (await client.get("/admin/audit")).text
    assert "domain.suspend hostile.example — doxxing our members" in log
    assert "domain.unblock hostile.example" in log


async def test_moderators_invite_but_only_admins_give_roles(
    client: httpx.AsyncClient, services: Services
) -> None:
    await person(services, "mel", Role.MEMBER)
    await person(services, "mo", Role.MODERATOR)
    await sign_in(client, "mel")
    assert (await client.get("/admin/people")).status_code == 403
    assert (await client.post("/admin/people/invites", data={"uses": "1"})).status_code == 403
    await sign_in(client, "mo")
    page = await client.get("/admin/people")
    assert "Create an invite" in page.text and 'action="/admin/people/roles"' not in page.text
    refused = await client.post("/admin/people/roles", data={"username": "mo", "role": "admin"})
    assert refused.status_code == 403
    too_many = await client.post("/admin/people/invites", data={"uses": "1000", "days": "7"})
    assert (
        "An invite is for 1 to 100 people." in (await client.get(too_many.headers["location"])).text
    )
    made = await client.post("/admin/people/invites", data={"uses": "2", "days": "3"})
    shown = (await client.get(made.headers["location"])).text
    assert f"{BASE}/register?invite=" in shown and "Used 0 of 2 times" in shown
    assert f"{BASE}/register?invite=" not in (await client.get("/admin/people")).text  # once
    log = (await client.get("/admin/audit")).text
    assert "invite.create" in log and "2 uses, 3 days" in log
