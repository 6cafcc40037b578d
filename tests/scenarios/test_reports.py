"""Reports between real nodes: a report leaves its node only when a moderator forwards it
(as a Flag without the reporter's identity) or shares it with a partner in the trusted
circle."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from federation.delivery import Delivery
from federation.inbox import InboxItem
from moderation import reports
from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess, read_database, wait_for

pytestmark = pytest.mark.processes


Queued = tuple[str | None, str, list[str], str, str | None]


def queue(node: NodeProcess) -> list[Queued]:
    """(origin, reported account, post ids, comment, reporter) of the node's open reports,
    read from its database."""

    async def read(session: AsyncSession) -> list[Queued]:
        found = []
        for report in await reports.open_reports(session):
            target = await session.get(Account, report.target_id)
            assert target is not None
            uris = reports.reported_post_uris(report)
            sender = await session.get(Account, report.reporter_id) if report.reporter_id else None
            reporter = sender.uri if sender else None
            found.append((report.origin_domain, target.username, uris, report.comment, reporter))
        return found

    return read_database(node, read)


ADMIN = ["read", "write", "follow", "admin:read", "admin:write"]


def flags_queued(node: NodeProcess) -> list[dict[str, Any]]:
    """The Flags the node has queued for delivery, sent or not, with their inboxes."""

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        rows = (await session.scalars(select(Delivery))).all()
        found = [{**json.loads(row.body), "inbox": row.inbox} for row in rows]
        return [activity for activity in found if activity["type"] == "Flag"]

    return read_database(node, read)


def flags_received(node: NodeProcess) -> list[dict[str, Any]]:
    """The Flags the node's inbox took, as their sender sent them (the sender keeps no copy
    of what it delivered: `delivery.forget_bodies`)."""

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        query = select(InboxItem.body).where(InboxItem.activity_type == "Flag")
        return [json.loads(body) for body in await session.scalars(query)]

    return read_database(node, read)


def test_a_members_report_leaves_only_when_a_moderator_forwards_or_shares_it(
    fleet: list[NodeProcess],
) -> None:
    """alice on A reports mallory of C (a public threat and a direct message) and asks for it
    to be forwarded; C hears nothing until A's moderator forwards it, and then no direct
    message; a case shared with B (A's partner) reaches B's queue and nothing reaches C."""
    a, b, c = fleet
    alice = client(a, "alice", a.create_member("alice"))
    mallory = client(c, "mallory", c.create_member("mallory"))
    moderator = a.create_member("mo")
    assert a.run("admin", "grant", "mo", "--role", "moderator").returncode == 0
    mo = {"Authorization": f"Bearer {client(a, 'mo', moderator, ADMIN).access_token}"}
    public = mallory.status_post(f"@alice@{a.domain} you will regret this", visibility="public")
    mallory.status_post(f"@alice@{a.domain} I know where you work", visibility="direct")
    wait_for(lambda: len(alice.notifications()) == 2, what="mallory's mentions at A")
    seen = [n.status for n in alice.notifications()]
    filed = alice.report(
        seen[0].account.id, [s.id for s in seen], "it is me, alice: he threatens me", forward=True
    )
    assert filed.forwarded is False
    assert flags_queued(a) == []  # her wish sent nothing by itself
    assert queue(c) == []

    for node, partner in ((a, b), (b, a)):  # each on the other's allowlist: the trusted circle
        assert node.run("domain", "allow", partner.domain).returncode == 0
    path = f"/api/v1/admin/reports/{filed.id}"
    with a.client() as http:
        shared = http.post(f"{path}/share", headers=mo, data={"domain": b.domain})
        assert shared.status_code == 200, shared.text
        wait_for(lambda: len(queue(b)) == 1, what="the shared case in B's queue")
        mallory_uri = f"{c.base_url}/users/mallory"
        [(origin, username, uris, comment, _sender)] = queue(b)
        assert (origin, username, uris) == (a.domain, "mallory", [public.uri])
        assert comment == "it is me, alice: he threatens me"  # kept by the moderator's choice
        [case] = flags_received(b)
        assert case["sharedCase"] is True
        assert queue(c) == []  # the reported server heard nothing of the case

        forwarded = http.post(
            f"{path}/forward", headers=mo, data={"comment": "Threats against a member here."}
        )
        assert forwarded.status_code == 200, forwarded.text
    wait_for(lambda: len(queue(c)) == 1, what="the forwarded Flag in C's queue")
    instance_a = f"{a.base_url}/actor"
    assert queue(c) == [
        (a.domain, "mallory", [public.uri], "Threats against a member here.", instance_a)
    ]  # the public post only: the direct message stays here, as nobody added it
    [flag] = flags_received(c)
    assert flag["object"] == [mallory_uri, public.uri] and "alice" not in json.dumps(flag)
