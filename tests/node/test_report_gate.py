"""Moderator-gated reports: a member's report stays with her own moderators; only a moderator
forwards it (with the words she chooses, and non-public posts only when she adds them) or
shares it with a partner organisation in the trusted circle, never with the reported server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from content import accounts, posts, relationships
from content.accounts import Account
from content.audience import Visibility
from content.orm import utcnow
from content.posts import Post
from content.users import Role
from federation import resolve
from federation.transport import Transport, TransportPolicy
from federation.worker import Worker
from moderation import allowlist, reports
from moderation.policy import FederationMode
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_admin_api import ADMIN_SCOPES, audit_lines, staff
from tests.node.test_inbox import deliver
from tests.node.test_settings_pages import sign_in
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.world import bearer

pytestmark = pytest.mark.anyio
PARTNER = "partner.example"
MALLORY = "https://victim.example/users/mallory"


@pytest.fixture
async def partner(services: Services, remote: FakeServer) -> AsyncIterator[FakeServer]:
    """remote.example (eve's server) plus partner.example, a Harbour node whose instance
    actor is at /actor, on this node's allowlist: the trusted circle."""
    remote.add_actor(f"https://{PARTNER}/actor", keypair_for_tests(4), PARTNER)
    remote.add_actor(MALLORY, keypair_for_tests(5), "mallory")
    policy = TransportPolicy(
        allow_private_addresses=True,
        static_hosts={h: "192.0.2.10" for h in ("remote.example", "victim.example", PARTNER)},
    )
    await services.federation.transport.aclose()
    services.federation.transport = Transport(
        policy, user_agent="test", transport=httpx.MockTransport(remote.handle)
    )
    async with services.sessions() as session, session.begin():
        await allowlist.allow(session, PARTNER)
    yield remote


def _remote_post(number: int, text: str, visibility: Visibility) -> dict[str, Any]:
    return {
        "uri": f"{EVE}/statuses/{number}",
        "url": None,
        "content_html": f"<p>{text}</p>",
        "visibility": visibility,
        "created_at": utcnow(),
    }


async def eves_posts(services: Services) -> tuple[Account, list[Post]]:
    """eve, whom alice follows, with a public post, a followers-only one and a direct
    message to alice."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert alice is not None
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/1", accepted=True)
        kept = [
            posts.store_remote(session, eve, **_remote_post(1, "public threat", Visibility.PUBLIC)),
            posts.store_remote(session, eve, **_remote_post(2, "to followers", Visibility.PRIVATE)),
            posts.store_remote(
                session, eve, mentioned=[alice], **_remote_post(3, "dm to alice", Visibility.DIRECT)
            ),
        ]  # fmt: skip
        await session.flush()
    return eve, kept


async def member_reports(
    client: httpx.AsyncClient, services: Services, eve: Account, reported: list[Post]
) -> str:
    """alice reports eve's posts through the client API, asking for it to be forwarded."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        headers = await bearer(session, alice)
    ids = [str(post.id) for post in reported]
    filed = await client.post(
        "/api/v1/reports",
        headers=headers,
        json={"account_id": str(eve.id), "status_ids": ids, "comment": "alice here, scared",
              "forward": True},
    )  # fmt: skip
    assert filed.status_code == 200, filed.text
    assert filed.json()["forwarded"] is False
    return str(filed.json()["id"])


def posted(remote: FakeServer, host: str) -> list[dict[str, Any]]:
    """The activities this node POSTed to `host`."""
    sent = [r for r in remote.requests if r.method == "POST"]
    return [json.loads(r.content) for r in sent if r.headers["host"] == host]


async def test_only_a_moderator_forwards_with_her_words_and_no_private_post_unless_added(
    client: httpx.AsyncClient, services: Services, partner: FakeServer
) -> None:
    eve, kept = await eves_posts(services)
    public, followers_only, direct = kept
    report_id = await member_reports(client, services, eve, kept)
    await Worker(services.federation).run_once()
    assert posted(partner, "remote.example") == []  # her wish sent nothing

    mod = await staff(services, "mo", Role.MODERATOR, ADMIN_SCOPES)
    path = f"/api/v1/admin/reports/{report_id}"
    entity = (await client.get(path, headers=mod)).json()
    assert (entity["forward_requested"], entity["forwarded"]) == (True, False)
    assert len(entity["statuses"]) == 3
    not_reported = await client.post(
        f"{path}/forward", headers=mod, data={"add_status_ids[]": "12345"}
    )
    assert not_reported.status_code == 422
    sent = await client.post(
        f"{path}/forward", headers=mod, data={"comment": "Threats against a member."}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["forwarded"] is True
    await Worker(services.federation).run_once()
    [flag] = posted(partner, "remote.example")
    assert flag["object"] == [EVE, public.uri]  # neither the followers-only post nor the DM
    assert flag["content"] == "Threats against a member."
    assert "alice" not in json.dumps(flag) and "sharedCase" not in flag
    again = await client.post(f"{path}/forward", headers=mod)
    assert again.status_code == 422  # once only

    second = await member_reports(client, services, eve, kept)
    added = await client.post(
        f"/api/v1/admin/reports/{second}/forward",
        headers=mod,
        data={"add_status_ids[]": [str(direct.id)]},
    )
    assert added.status_code == 200, added.text
    await Worker(services.federation).run_once()
    flag = posted(partner, "remote.example")[-1]
    assert flag["object"] == [EVE, public.uri, direct.uri]  # added, so sent; not the other
    assert flag["content"] == "alice here, scared"  # kept as the member wrote it, by choice
    assert followers_only.uri not in json.dumps(flag)
    assert [line[1] for line in await audit_lines(services)] == ["report.forward"] * 2


async def test_a_moderator_shares_a_case_with_a_partner_and_not_the_reported_server(
    client: httpx.AsyncClient, services: Services, partner: FakeServer
) -> None:
    eve, kept = await eves_posts(services)
    public, _, direct = kept
    report_id = await member_reports(client, services, eve, kept)
    mod = await staff(services, "mo", Role.MODERATOR, ADMIN_SCOPES)
    path = f"/api/v1/admin/reports/{report_id}/share"
    stranger = await client.post(path, headers=mod, data={"domain": "stranger.example"})
    assert stranger.status_code == 422
    assert "not a partner" in stranger.json()["error"]
    shared = await client.post(
        path, headers=mod, data={"domain": PARTNER.upper(), "comment": "Seen on our side too?"}
    )
    assert shared.status_code == 200, shared.text
    assert (shared.json()["shared_with"], shared.json()["forwarded"]) == (PARTNER, False)
    await Worker(services.federation).run_once()
    [flag] = posted(partner, PARTNER)
    assert flag["to"] == [f"https://{PARTNER}/actor"] and flag["sharedCase"] is True
    assert flag["actor"] == f"{BASE}/actor"
    assert flag["object"] == [EVE, public.uri] and direct.uri not in json.dumps(flag)
    assert flag["content"] == "Seen on our side too?"
    assert {"sharedCase": "harbour:sharedCase"}.items() <= flag["@context"][1].items()
    assert posted(partner, "remote.example") == []
    assert [line[1:] for line in await audit_lines(services)] == [
        ("report.share", f"report {report_id}", PARTNER)
    ]


async def test_a_shared_case_is_filed_from_the_circle_only(
    client: httpx.AsyncClient, services: Services, partner: FakeServer
) -> None:
    case = {
        "@context": ["https://www.w3.org/ns/activitystreams",
                     {"harbour": "https://harbour.community/ns#",
                      "sharedCase": "harbour:sharedCase"}],
        "id": "https://remote.example/actor#flags/1",
        "type": "Flag",
        "actor": EVE,
        "to": [f"{BASE}/actor"],
        "object": [MALLORY, f"{MALLORY}/statuses/9"],
        "content": "mallory threatens workers on both our nodes",
        "sharedCase": True,
    }  # fmt: skip
    services.federation.mode = FederationMode.OPEN
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")  # federating, but not a partner
    assert (await deliver(client, case)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        assert await reports.open_reports(session) == []

    async with services.sessions() as session, session.begin():
        await allowlist.allow(session, "remote.example")  # now in the circle
    case["id"] = "https://remote.example/actor#flags/2"
    assert (await deliver(client, case)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        [filed] = await reports.open_reports(session)
        target = await session.get(Account, filed.target_id)
    assert target is not None and target.uri == MALLORY
    assert (filed.shared_case, filed.origin_domain) == (True, "remote.example")
    assert reports.reported_post_uris(filed) == [f"{MALLORY}/statuses/9"]
    assert posted(partner, "victim.example") == []  # the reported server heard nothing

    await person_signs_in(client, services)
    queue = (await client.get("/admin/reports")).text
    assert "the partner remote.example, as a shared case" in queue
    assert "/forward" not in queue  # a partner's case is not forwarded from here
    mod = await staff(services, "mia", Role.MODERATOR, ADMIN_SCOPES)
    onward = await client.post(
        f"/api/v1/admin/reports/{filed.id}/share", headers=mod, data={"domain": PARTNER}
    )
    assert onward.status_code == 422  # nor passed on to a third organisation


async def person_signs_in(client: httpx.AsyncClient, services: Services) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "mo", base_url=BASE, role=Role.MODERATOR)
    await sign_in(client, "mo")


async def test_the_queue_shows_her_wish_and_forwards_only_what_the_moderator_ticks(
    client: httpx.AsyncClient, services: Services, partner: FakeServer
) -> None:
    eve, kept = await eves_posts(services)
    public, followers_only, direct = kept
    report_id = await member_reports(client, services, eve, kept)
    await person_signs_in(client, services)
    queue = (await client.get("/admin/reports")).text
    assert "the member asks for it to be forwarded to remote.example" in queue
    assert f'name="add" value="{direct.id}"' in queue
    assert f'name="add" value="{followers_only.id}"' in queue
    assert f'name="add" value="{public.id}"' not in queue  # public posts always go
    assert f"<option>{PARTNER}</option>" in queue
    forwarded = await client.post(
        f"/admin/reports/{report_id}/forward",
        data={"comment": "Rewritten by us.", "add": str(followers_only.id)},
    )
    assert forwarded.headers["location"] == "/admin/reports"
    await Worker(services.federation).run_once()
    [flag] = posted(partner, "remote.example")
    assert flag["object"] == [EVE, public.uri, followers_only.uri]
    assert flag["content"] == "Rewritten by us."
    shared = await client.post(
        f"/admin/reports/{report_id}/share", data={"domain": PARTNER, "comment": "fyi"}
    )
    assert shared.headers["location"] == "/admin/reports"
    queue = (await client.get("/admin/reports")).text
    assert "forwarded to remote.example" in queue and f"shared with {PARTNER}" in queue
