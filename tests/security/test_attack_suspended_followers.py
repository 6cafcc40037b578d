"""A remote account a moderator suspended still followed members, and its server went on
getting their followers-only posts: a suspension hides the account and keeps its follows for
a lifted suspension, but the followers' inboxes were read without looking at it (found by
attack3, looking at what a suspension does while a flood from its server arrives)."""

from __future__ import annotations

import json

import httpx
import pytest

from content import accounts
from content.users import Role
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import EVE
from tests.node.test_admin_api import ADMIN_SCOPES, staff
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_a_suspended_remote_follower_gets_no_followers_only_post(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    mod = await staff(services, "mo", Role.MODERATOR, ADMIN_SCOPES)
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        alice.manually_approves_followers = False
        member = await world.bearer(session, alice)
    follow = {"id": f"{EVE}/follows/1", "type": "Follow", "actor": EVE, "object": alice.uri}
    assert (await deliver(client, follow)).status_code == 202
    await Worker(services.federation).run_once()  # eve follows alice: the Accept went out
    async with services.sessions() as session:
        eve = await accounts.get_by_uri(session, EVE)
        assert eve is not None
    action = f"/api/v1/admin/accounts/{eve.id}/action"
    suspended = await client.post(action, headers=mod, data={"type": "suspend"})
    assert suspended.status_code == 200

    for visibility in ("private", "public"):
        answer = await client.post(
            "/api/v1/statuses",
            headers=member,
            data={"status": f"a {visibility} post", "visibility": visibility},
        )
        assert answer.status_code == 200
    await Worker(services.federation).run_once()
    sent = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert [a["type"] for a in sent] == ["Accept"]  # nothing more for eve's server

    lifted = await client.post(f"/api/v1/admin/accounts/{eve.id}/unsuspend", headers=mod)
    assert lifted.status_code == 200  # her follow was kept: the next post reaches her
    await client.post("/api/v1/statuses", headers=member, data={"status": "welcome back"})
    await Worker(services.federation).run_once()
    sent = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert [a["type"] for a in sent] == ["Accept", "Create"]
