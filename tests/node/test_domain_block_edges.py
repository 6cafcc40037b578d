"""What `/api/v1/instance/peers` tells anyone; two admins (or one admin's tool retrying)
blocking the same domain at the same moment through Mastodon's admin API; and a trust list's
block an admin changed by hand, which the list can no longer lift."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from content.accounts import Account
from content.users import Role
from moderation import domain_blocks, trust_lists
from moderation.domain_blocks import BlockTerms, Severity
from moderation.published_lists import Published
from node.state import Services
from tests.rig import world
from tests.rig.world import bearer

pytestmark = pytest.mark.anyio


def remote(host: str) -> Account:
    uri = f"https://{host}/users/someone"
    return Account(
        username="someone", domain=host, actor_type="Person", uri=uri, url=uri,
        inbox_uri=f"{uri}/inbox", key_id=f"{uri}#main-key", public_key_pem="",
    )  # fmt: skip


async def test_peers_leave_out_every_server_the_node_blocks(
    client: httpx.AsyncClient, services: Services
) -> None:
    hosts = ["ally.example", "harassers.example", "social.stalkers.example", "loud.example",
             "bigfiles.example", "other.example"]  # fmt: skip
    async with services.sessions() as session, session.begin():
        session.add_all(remote(host) for host in hosts)
        for terms in [
            BlockTerms("harassers.example", Severity.SUSPEND, obfuscate=True),
            BlockTerms("stalkers.example", Severity.SUSPEND),  # a parent domain
            BlockTerms("loud.example", Severity.SILENCE),
            BlockTerms("bigfiles.example", Severity.NOOP, reject_media=True),
        ]:
            await domain_blocks.block(session, terms)
    answer = await client.get("/api/v1/instance/peers")
    assert answer.status_code == 200
    assert answer.json() == ["ally.example", "other.example"]


async def test_the_same_block_created_twice_at_once_is_one_block_and_one_clean_refusal(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        ada = await world.local_member(session, "ada", role=Role.ADMIN)
        headers = await bearer(session, ada, ["admin:read", "admin:write"])
    form = {"domain": "harassers.example", "severity": "suspend"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/admin/domain_blocks", data=form, headers=headers) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 422, 422, 422]
    for refused in (a for a in answers if a.status_code == 422):
        assert "existing_domain_block" in refused.json()["error"]
    listed = await client.get("/api/v1/admin/domain_blocks", headers=headers)
    assert [row["domain"] for row in listed.json()] == ["harassers.example"]


async def test_a_lists_block_an_admin_changed_by_hand_stays_when_the_list_drops_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    url = "https://partner.example/api/v1/instance/domain_blocks"
    async with services.sessions() as session, session.begin():
        ada = await world.local_member(session, "ada", role=Role.ADMIN)
        headers = await bearer(session, ada, ["admin:read", "admin:write"])
        row = await trust_lists.subscribe(session, url, trust_lists.Kind.BLOCKLIST)
        listed = Published((BlockTerms("stalker.example", Severity.SILENCE),))
        trust_lists.record_fetch(row, listed, None)
        pending = await trust_lists.review(session, row, trust_lists.reviewed_copy(row))
        await trust_lists.apply(session, row, pending.changes)
    [block] = (await client.get("/api/v1/admin/domain_blocks", headers=headers)).json()
    assert block["severity"] == "silence"
    changed = await client.put(
        f"/api/v1/admin/domain_blocks/{block['id']}",
        data={"severity": "suspend", "private_comment": "he found Ana's address"},
        headers=headers,
    )
    assert changed.status_code == 200
    async with services.sessions() as session, session.begin():  # the partner drops it
        row = await trust_lists.find(session, url)
        trust_lists.record_fetch(row, Published(()), None)
        pending = await trust_lists.review(session, row, trust_lists.reviewed_copy(row))
        await trust_lists.apply(session, row, pending.changes)
    [kept] = (await client.get("/api/v1/admin/domain_blocks", headers=headers)).json()
    assert (kept["domain"], kept["severity"]) == ("stalker.example", "suspend")
    assert kept["private_comment"] == "he found Ana's address"
