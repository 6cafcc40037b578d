"""HARBOUR_REGISTRATION_APPROVAL: who joins with an invite waits for a moderator, unseen."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from content import accounts, invites
from moderation import approvals, audit
from moderation.approvals import NotAwaitingApproval
from node.settings import Settings
from node.state import Services
from tests.rig import members, world

pytestmark = pytest.mark.anyio
AP = {"Accept": "application/activity+json"}
PASSWORD = "a long passphrase"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, registration_approval=True)


async def test_a_newcomer_waits_unseen_until_approved(
    client: httpx.AsyncClient, services: Services
) -> None:
    await _join(client, services, "nova")
    assert (await client.get("/settings")).status_code == 303  # not signed in

    refused = await client.post("/login", data={"username": "nova", "password": PASSWORD})
    assert refused.status_code == 403 and "waiting for approval" in refused.text
    wrong = await client.post("/login", data={"username": "nova", "password": "not it at all"})
    assert wrong.status_code == 401 and "waiting" not in wrong.text
    assert (await client.get("/users/nova", headers=AP)).status_code == 404
    assert (await client.get("/@nova")).status_code == 404
    finger = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:nova@harbour.test"}
    )
    assert finger.status_code == 404
    alice = await members.member(services, "alice")
    found = await client.get("/api/v1/accounts/search", params={"q": "nov"}, headers=alice.headers)
    assert found.json() == []
    grant = await _password_grant(client, "nova")
    assert grant.json()["error"] == "invalid_grant"
    assert "waiting for approval" in grant.json()["error_description"]

    async with services.sessions() as session, session.begin():
        nova = await accounts.get_local(session, "nova", include_gone=True)
        assert nova is not None and nova.awaiting_approval
        approvals.approve(session, nova, alice.account, "known to the collective")
    signed_in = await client.post("/login", data={"username": "nova", "password": PASSWORD})
    assert signed_in.status_code == 303
    assert (await client.get("/users/nova", headers=AP)).json()["preferredUsername"] == "nova"
    assert (await _password_grant(client, "nova")).status_code == 200
    async with services.sessions() as session:
        logged = [(e.action, e.target, who) for e, who in await audit.recent(session)]
    assert logged == [("account.approve", "@nova", "alice")]


async def test_a_rejected_newcomer_is_erased(client: httpx.AsyncClient, services: Services) -> None:
    await _join(client, services, "spam")
    async with services.sessions() as session, session.begin():
        spam = await accounts.get_local(session, "spam", include_gone=True)
        assert spam is not None
        assert await approvals.reject(session, spam, None, "not from our network") == []
    async with services.sessions() as session, session.begin():
        gone = await accounts.get_local(session, "spam", include_gone=True)
        assert gone is not None and gone.deleted_at is not None
        with pytest.raises(NotAwaitingApproval):
            approvals.approve(session, gone, None)
        logged = [(e.action, e.target, e.reason) for e, _ in await audit.recent(session)]
    assert logged == [("account.reject", "@spam", "not from our network")]
    answer = await client.post("/login", data={"username": "spam", "password": PASSWORD})
    assert answer.status_code == 401


async def test_accounts_made_by_operators_and_existing_members_need_no_approval(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        member = await world.local_member(session, "alice")
        with pytest.raises(NotAwaitingApproval):
            approvals.approve(session, member, None)
    signed = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert signed.status_code == 303


async def test_the_instance_api_says_approval_is_required(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/instance")).json()["approval_required"] is True
    v2 = (await client.get("/api/v2/instance")).json()["registrations"]
    assert v2 == {"enabled": False, "approval_required": True, "message": None}


async def _join(client: httpx.AsyncClient, services: Services, username: str) -> None:
    async with services.sessions() as session, session.begin():
        code = invites.create_invite(session, created_by=None)
    joined = await client.post(
        "/register", data={"invite": code, "username": username, "password": PASSWORD}
    )
    assert joined.status_code == 200, joined.text
    assert f"Welcome, @{username}" in joined.text and "waiting for approval" in joined.text


async def _password_grant(client: httpx.AsyncClient, username: str) -> httpx.Response:
    app = (
        await client.post(
            "/api/v1/apps",
            data={"client_name": "an app", "redirect_uris": world.OOB, "scopes": "read"},
        )
    ).json()
    return await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": username,
            "password": PASSWORD,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read",
        },
    )
