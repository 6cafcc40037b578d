"""A domain's owner makes sub-domains for nothing, each able to serve an actor with a key:
signed POSTs from endless made-up hosts must not have this node record servers (and fetch
and keep their actors) without end. At most `quarantine.MAX_HOSTS_PER_SITE` hosts of one
registrable domain are met; the next one is refused before anything is fetched from it,
while hosts met already, and partners, go on as before."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from content.accounts import Account
from federation.transport import Transport, TransportPolicy
from moderation import allowlist, quarantine
from moderation.policy import FederationMode
from moderation.quarantine import MAX_HOSTS_PER_SITE, KnownServer
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
NEW = "https://s-new.evil.example/users/eve"
PARTNER = "https://s-partner.evil.example/users/eve"


async def test_one_domain_cannot_have_the_node_record_servers_without_end(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    services.federation.mode = FederationMode.OPEN  # every server not blocked may talk
    for uri in (NEW, PARTNER):
        remote.add_actor(uri, keypair_for_tests(3), "eve")
    policy = TransportPolicy(  # the made-up hosts answer: the domain's owner runs them all
        static_hosts={
            "remote.example": "93.184.216.34",
            "s-new.evil.example": "93.184.216.36",
            "s-partner.evil.example": "93.184.216.37",
        }
    )
    await services.federation.transport.aclose()
    services.federation.transport = Transport(
        policy, user_agent="test", transport=httpx.MockTransport(remote.handle)
    )
    async with services.sessions() as session, session.begin():
        for number in range(MAX_HOSTS_PER_SITE):  # what earlier POSTs made it meet
            await quarantine.meet(session, f"s{number}.evil.example", days=7)
        await allowlist.allow(session, "s-partner.evil.example")

    refused = await deliver(
        client, note_to_alice(1, actor=NEW, id=f"{NEW}/a/1"), key_id=f"{NEW}#main-key"
    )
    assert refused.status_code == 401
    assert not [r for r in remote.requests if r.url.host == "s-new.evil.example"]
    partner = await deliver(
        client, note_to_alice(2, actor=PARTNER, id=f"{PARTNER}/a/2"), key_id=f"{PARTNER}#main-key"
    )
    assert partner.status_code == 202
    assert (await deliver(client, note_to_alice(3))).status_code == 202  # another domain
    async with services.sessions() as session:
        met = await session.scalar(select(func.count()).where(KnownServer.site == "evil.example"))
        on_new = Account.domain == "s-new.evil.example"
        kept = await session.scalar(select(Account.id).where(on_new))
    assert met == MAX_HOSTS_PER_SITE + 1  # the partner too
    assert kept is None
