"""A remote account a moderator suspended still followed members, and its server went on
getting their followers-only posts (found by attack3, looking at what a suspension does while
a flood from its server arrives). Keeping her server out of the deliveries was not enough:
one that also hosts another follower gets the post in its shared inbox and shows it to her
too. So a suspension ends her follows of this node's accounts, each with a Reject to her own
inbox signed by the account she followed, as Mastodon does, and lifting it does not bring
them back (`tests/scenarios/test_suspended_remote_follows.py` on real nodes)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from activitypub import message_signatures
from activitypub.signatures import RequestParts
from content import accounts
from content.accounts import Account
from content.users import Role
from federation import outbox
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_admin_api import ADMIN_SCOPES, staff
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


def posted(remote: FakeServer, *signers: Account) -> list[tuple[str, dict[str, object], str]]:
    """What the node POSTed to remote.example: (inbox, activity, the signer's key id), each
    signature verified with that signer's public key."""
    keys = {signer.key_id: signer.public_key_pem for signer in signers}
    found = []
    for request in (r for r in remote.requests if r.method == "POST"):
        path, headers = request.url.raw_path.decode(), dict(request.headers)
        url = f"https://{headers['host']}{path}"  # sent to the address, named in Host
        parts = RequestParts("POST", path, headers, request.content)
        key_id = message_signatures.key_id_of(parts)
        assert message_signatures.verify(parts, url, keys[key_id]) == key_id
        found.append((url, json.loads(request.content), key_id))
    return found


def follow_of(number: int, followed: str) -> dict[str, object]:
    return {"id": f"{EVE}/follows/{number}", "type": "Follow", "actor": EVE, "object": followed}


async def test_a_suspended_remote_follower_gets_no_followers_only_post(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    mod = await staff(services, "mo", Role.MODERATOR, ADMIN_SCOPES)
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        alice.manually_approves_followers = False
        member = await world.bearer(session, alice)
        carol = await world.local_member(session, "carol", base_url=BASE)  # approves by hand
        carol_token = await world.bearer(session, carol)
    for number, followed in enumerate((alice, carol)):
        assert (await deliver(client, follow_of(number, followed.uri))).status_code == 202
    await Worker(services.federation).run_once()  # eve follows alice and asks carol
    requests = await client.get("/api/v1/follow_requests", headers=carol_token)
    assert [a["acct"] for a in requests.json()] == ["eve@remote.example"]
    async with services.sessions() as session:
        eve = await accounts.get_by_uri(session, EVE)
        assert eve is not None
    action = f"/api/v1/admin/accounts/{eve.id}/action"
    suspended = await client.post(action, headers=mod, data={"type": "suspend"})
    assert suspended.status_code == 200

    await Worker(services.federation).run_once()
    inbox = f"{EVE}/inbox"  # her own, never the shared one her neighbours' posts go to
    accept, *rejects = [
        (url, a["type"], a["object"], keyid) for url, a, keyid in posted(remote, alice, carol)
    ]
    assert accept[:2] == (inbox, "Accept")
    assert sorted(rejects, key=lambda sent: str(sent[2])) == [
        (inbox, "Reject", follow_of(0, alice.uri), alice.key_id),
        (inbox, "Reject", follow_of(1, carol.uri), carol.key_id),
    ]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=member)
    assert me.json()["followers_count"] == 0
    assert (await client.get("/api/v1/follow_requests", headers=carol_token)).json() == []

    for visibility in ("private", "public"):
        answer = await client.post(
            "/api/v1/statuses",
            headers=member,
            data={"status": f"a {visibility} post", "visibility": visibility},
        )
        assert answer.status_code == 200
    lifted = await client.post(f"/api/v1/admin/accounts/{eve.id}/unsuspend", headers=mod)
    assert lifted.status_code == 200  # her follow is not restored: her server dropped it
    await client.post("/api/v1/statuses", headers=member, data={"status": "welcome back"})
    await Worker(services.federation).run_once()
    assert len(posted(remote, alice, carol)) == 3  # nothing more for eve's server
    me = await client.get("/api/v1/accounts/verify_credentials", headers=member)
    assert me.json()["followers_count"] == 0


async def followed_then_suspended_the_old_way(
    client: httpx.AsyncClient, services: Services
) -> Account:
    """eve follows alice (accepted), then is suspended as an older Harbour did it, her follow
    kept; alice."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        alice.manually_approves_followers = False
    assert (await deliver(client, follow_of(0, alice.uri))).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session, session.begin():
        eve = await accounts.get_by_uri(session, EVE)
        assert eve is not None
        accounts.suspend(eve)  # all an older Harbour did
    return alice


async def test_a_follow_an_earlier_suspension_kept_ends_at_the_workers_prune(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """eve was suspended before suspensions ended follows: her follow of alice was kept. The
    worker's prune (at its first pass, then hourly) ends it as a suspension now does."""
    alice = await followed_then_suspended_the_old_way(client, services)
    async with services.sessions() as session:
        member = await world.bearer(session, alice)
        await session.commit()
    await Worker(services.federation).run_once()  # a worker started after the upgrade
    inbox = f"{EVE}/inbox"
    assert [(url, a["type"], a["object"], key) for url, a, key in posted(remote, alice)] == [
        (inbox, "Accept", follow_of(0, alice.uri), alice.key_id),
        (inbox, "Reject", follow_of(0, alice.uri), alice.key_id),
    ]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=member)
    assert me.json()["followers_count"] == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_prunes_at_once_end_an_old_follow_once(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """On PostgreSQL two workers prune at once (each at its first pass): the one that finds
    eve's old follow held by the other passes it by, where its delete matched no row and its
    prune failed (attack5); her server gets one Reject."""
    alice = await followed_then_suspended_the_old_way(client, services)
    fed = services.federation
    async with services.sessions() as first, services.sessions() as second:
        assert await outbox.reject_suspended_follows(fed, first) == 1
        await first.flush()  # its delete waits in the open transaction
        later = asyncio.create_task(outbox.reject_suspended_follows(fed, second))
        await asyncio.sleep(0.5)
        await first.commit()
        await later
        await second.commit()
    await Worker(fed).run_once()
    rejects = [a for _, a, _ in posted(remote, alice) if a["type"] == "Reject"]
    assert rejects == [{**rejects[0], "object": follow_of(0, alice.uri)}]
