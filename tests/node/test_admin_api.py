"""Mastodon's admin API for reports and accounts: who may use it, the entities, the actions
and what they change, and the audit log they leave."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from activitypub import ActorType
from content import accounts, posts, relationships
from content.accounts import Account
from content.audience import Visibility
from content.orm import utcnow
from content.relationships import FollowState
from content.users import Role
from federation import outbox, resolve
from federation.worker import Worker
from moderation import audit, reports
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.remote import FakeServer
from tests.rig.world import bearer

pytestmark = pytest.mark.anyio
ADMIN_SCOPES = ["read", "write", "admin:read", "admin:write"]


async def staff(services: Services, name: str, role: Role, scopes: list[str]) -> dict[str, str]:
    async with services.sessions() as session, session.begin():
        account = await world.local_member(session, name, base_url=BASE, role=role)
        return await bearer(session, account, scopes)


async def alice_reports_eve(services: Services) -> tuple[Account, Account, int]:
    """alice (from the `remote` fixture) reports eve's public post, kept here."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert alice is not None
        post = posts.store_remote(
            session,
            eve,
            uri=f"{EVE}/statuses/1",
            url=None,
            content_html="<p>threatening</p>",
            visibility=Visibility.PUBLIC,
            created_at=utcnow(),
        )
        await session.flush()
        report = await reports.file_report(
            session, reporter=alice, target=eve, post_uris=[post.uri], comment="threats",
            category="violation",
        )  # fmt: skip
        return alice, eve, report.id


async def audit_lines(services: Services) -> list[tuple[str, str, str, str]]:
    async with services.sessions() as session:
        return [(who, e.action, e.target, e.reason) for e, who in await audit.recent(session)][::-1]


async def test_reports_and_accounts_are_for_moderators_and_admins_with_admin_scopes(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    member = await staff(services, "mel", Role.MEMBER, ADMIN_SCOPES)
    no_scope = await staff(services, "mo", Role.MODERATOR, ["read", "write"])
    reader = await staff(services, "mia", Role.MODERATOR, ["admin:read:reports"])
    admin = await staff(services, "ada", Role.ADMIN, ["admin:read"])
    for headers, path, status in [
        (member, "/api/v1/admin/reports", 403),
        (member, "/api/v2/admin/accounts", 403),
        (no_scope, "/api/v1/admin/reports", 403),
        (reader, "/api/v2/admin/accounts", 403),  # a reports scope only
        (reader, "/api/v1/admin/domain_blocks", 403),  # domain blocks stay admin-only
        (reader, "/api/v1/admin/reports", 200),
        (admin, "/api/v1/admin/reports", 200),
        (admin, "/api/v2/admin/accounts", 200),
        (admin, "/api/v1/admin/domain_blocks", 200),
    ]:
        response = await client.get(path, headers=headers)
        assert response.status_code == status, (path, response.text)
    refused = await client.post("/api/v1/admin/reports/1/resolve", headers=reader)
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    assert (await client.get("/api/v1/admin/reports")).status_code == 401


async def test_a_moderator_works_a_report_and_forwards_it_anonymously(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, eve, report_id = await alice_reports_eve(services)
    mod = await staff(services, "mo", Role.MODERATOR, ADMIN_SCOPES)
    [entity] = (await client.get("/api/v1/admin/reports", headers=mod)).json()
    assert entity["id"] == str(report_id)
    assert (entity["action_taken"], entity["category"], entity["comment"]) == (
        False, "violation", "threats",
    )  # fmt: skip
    assert entity["account"]["username"] == "alice"
    assert entity["account"]["role"]["name"] == ""
    target = entity["target_account"]
    assert (target["domain"], target["silenced"], target["suspended"]) == (
        "remote.example", False, False,
    )  # fmt: skip
    assert (target["account"]["acct"], target["email"], target["ips"]) == (
        "eve@remote.example", "", [],
    )  # fmt: skip
    assert "role" not in target  # remote accounts have no login here
    assert [s["content"] for s in entity["statuses"]] == ["<p>threatening</p>"]
    assert entity["assigned_account"] is None and entity["rules"] == []

    path = f"/api/v1/admin/reports/{report_id}"
    taken = (await client.post(f"{path}/assign_to_self", headers=mod)).json()
    assert taken["assigned_account"]["username"] == "mo"
    assert taken["assigned_account"]["role"]["name"] == "Moderator"
    done = await client.post(
        f"{path}/resolve", headers=mod, data={"note": "warned", "forward": "true"}
    )
    assert done.status_code == 200, done.text
    closed = done.json()
    assert (closed["action_taken"], closed["forwarded"]) == (True, True)
    assert closed["action_taken_by_account"]["username"] == "mo"
    assert closed["action_taken_at"] is not None
    assert (await client.get("/api/v1/admin/reports", headers=mod)).json() == []
    resolved = await client.get("/api/v1/admin/reports", headers=mod, params={"resolved": "true"})
    assert [r["id"] for r in resolved.json()] == [str(report_id)]

    await Worker(services.federation).run_once()
    [flag] = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert (flag["type"], flag["actor"]) == ("Flag", f"{BASE}/actor")
    assert "alice" not in json.dumps(flag)

    reopened = (await client.post(f"{path}/reopen", headers=mod)).json()
    assert (reopened["action_taken"], reopened["action_taken_by_account"]) == (False, None)
    again = await client.post(f"{path}/resolve", headers=mod, data={"forward": "true"})
    assert again.json()["forwarded"] is True
    await Worker(services.federation).run_once()
    assert len([r for r in remote.requests if r.method == "POST"]) == 1  # forwarded once
    assert (await client.get("/api/v1/admin/reports/999", headers=mod)).status_code == 404
    assert await audit_lines(services) == [
        ("mo", "report.assign", f"report {report_id}", ""),
        ("mo", "report.forward", f"report {report_id}", ""),
        ("mo", "report.resolve", f"report {report_id}", "warned"),
        ("mo", "report.reopen", f"report {report_id}", ""),
        ("mo", "report.resolve", f"report {report_id}", ""),
    ]


async def admin_accounts(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[str]:
    response = await client.get("/api/v2/admin/accounts", headers=headers, params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return [a["account"]["acct"] for a in found]


async def test_a_limited_account_leaves_public_timelines_and_must_ask_to_follow(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, eve, report_id = await alice_reports_eve(services)
    mod = await staff(services, "mo", Role.MODERATOR, ADMIN_SCOPES)
    async with services.sessions() as session, session.begin():
        bob = await world.local_member(session, "bob", base_url=BASE)
        org = await world.local_actor(session, "org", ActorType.ORGANIZATION, base_url=BASE)
        await world.post(session, bob, "bob in public")
        found = await accounts.get_local(session, "alice")
        assert found is not None
        found.manually_approves_followers = False
    assert await admin_accounts(client, mod, origin="remote") == ["eve@remote.example"]
    assert await admin_accounts(client, mod, origin="local", username="B") == ["bob"]
    assert await admin_accounts(client, mod, by_domain="remote.example") == ["eve@remote.example"]
    assert await admin_accounts(client, mod, status="silenced") == []
    public = await client.get("/api/v1/timelines/public")
    assert [s["account"]["acct"] for s in public.json()] == ["bob", "eve@remote.example"]

    for target, report in ((eve, str(report_id)), (bob, "")):
        acted = await client.post(
            f"/api/v1/admin/accounts/{target.id}/action",
            headers=mod,
            data={"type": "silence", "text": "harassment", "report_id": report},
        )
        assert acted.status_code == 200, acted.text
    assert await admin_accounts(client, mod, status="silenced") == ["bob", "eve@remote.example"]
    shown = (await client.get(f"/api/v1/admin/accounts/{eve.id}", headers=mod)).json()
    assert (shown["silenced"], shown["suspended"]) == (True, False)
    assert shown["account"]["limited"] is True  # Mastodon's flag for a limited account
    assert "limited" not in (await client.get(f"/api/v1/accounts/{org.id}")).json()
    assert (await client.get("/api/v1/timelines/public")).json() == []
    assert (await client.get(f"/api/v1/admin/reports/{report_id}", headers=mod)).json()[
        "action_taken"
    ]

    alice_uri = f"{BASE}/users/alice"
    follow = {"id": f"{EVE}/follows/1", "type": "Follow", "actor": EVE, "object": alice_uri}
    assert (await deliver(client, follow)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session, session.begin():
        pending = await relationships.pending_requests(session, alice)
        assert [(f.state, a.uri) for f, a in pending] == [(FollowState.PENDING, EVE)]
        bob_row = await session.get(Account, bob.id)
        assert bob_row is not None
        asked = await outbox.follow(services.federation, session, bob_row, org)
        assert asked.state == FollowState.PENDING  # org accepts everyone else at once

    lifted = await client.post(f"/api/v1/admin/accounts/{bob.id}/unsilence", headers=mod)
    assert lifted.json()["silenced"] is False
    public = await client.get("/api/v1/timelines/public")
    assert [s["account"]["acct"] for s in public.json()] == ["bob"]
    assert await audit_lines(services) == [
        ("mo", "account.silence", "@eve@remote.example", "harassment"),
        ("mo", "report.resolve", f"report {report_id}", "harassment"),
        ("mo", "account.silence", "@bob", "harassment"),
        ("mo", "account.unsilence", "@bob", ""),
    ]


async def test_suspending_unsuspending_and_deleting_accounts(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    mod = await staff(services, "mo", Role.MODERATOR, ADMIN_SCOPES)
    async with services.sessions() as session, session.begin():
        bob = await world.local_member(session, "bob", base_url=BASE)
        mo = await accounts.get_local(session, "mo")
        assert mo is not None
    path = f"/api/v1/admin/accounts/{bob.id}"
    wrong = await client.post(f"{path}/action", headers=mod, data={"type": "disable"})
    assert wrong.status_code == 422
    own = f"/api/v1/admin/accounts/{mo.id}/action"
    self_ = await client.post(own, headers=mod, data={"type": "suspend"})
    assert self_.status_code == 403
    await client.post(f"{path}/action", headers=mod, data={"type": "suspend", "text": "spam"})
    assert await admin_accounts(client, mod, status="suspended") == ["bob"]
    assert (await client.get("/api/v1/accounts/lookup", params={"acct": "bob"})).status_code == 404
    back = await client.post(f"{path}/unsuspend", headers=mod)
    assert back.json()["suspended"] is False
    await client.post(f"{path}/action", headers=mod, data={"text": "first warning"})
    deleted = await client.delete(path, headers=mod)
    assert deleted.status_code == 200 and deleted.json()["disabled"] is True
    assert (
        await client.get("/users/bob", headers={"Accept": "application/activity+json"})
    ).status_code == 410
    assert [line[1:3] for line in await audit_lines(services)] == [
        ("account.suspend", "@bob"),
        ("account.unsuspend", "@bob"),
        ("account.warn", "@bob"),
        ("account.delete", "@bob"),
    ]
