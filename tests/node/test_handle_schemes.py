"""How a handle's server is asked in development: https first when a CA bundle is set (for
https peers on loopback), then plain http; plain http alone otherwise; https in production."""

from __future__ import annotations

import json

import certifi
import httpx
import pytest

from content import accounts
from federation.resolve import actor_by_handle
from federation.transport import Transport, TransportPolicy
from moderation import allowlist
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
FINGER = "/.well-known/webfinger?resource=acct%3Aeve%40remote.example"


async def asked(services: Services, policy: TransportPolicy, serves: str) -> list[str]:
    """The schemes of the WebFinger requests made to find eve, whose server answers it
    only over `serves`; eve is found."""
    server = FakeServer()
    server.add_actor(EVE, keypair_for_tests(3), "eve")
    schemes: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/webfinger":
            schemes.append(request.url.scheme)
            if request.url.scheme != serves:
                return httpx.Response(404)
            jrd = {"subject": "acct:eve@remote.example", "links": [
                {"rel": "self", "type": "application/activity+json", "href": EVE}
            ]}  # fmt: skip
            return httpx.Response(200, content=json.dumps(jrd).encode(),
                                  headers={"content-type": "application/jrd+json"})  # fmt: skip
        return server.handle(request)

    await services.federation.transport.aclose()
    services.federation.transport = Transport(
        policy, user_agent="test", transport=httpx.MockTransport(handle)
    )
    async with services.sessions() as session, session.begin():
        await allowlist.allow(session, "remote.example")
        if await accounts.get_local(session, "alice") is None:
            await world.local_member(session, "alice", base_url=BASE)
            await accounts.ensure_instance_actor(
                session, base_url=BASE, host="harbour.test", keypair=keypair_for_tests(2)
            )
        found = await actor_by_handle(services.federation, session, "eve@remote.example")
        assert found.uri == EVE
        await session.delete(found)  # asked afresh next time
    return schemes


async def test_development_with_a_ca_bundle_asks_https_first(services: Services) -> None:
    hosts = {"remote.example": "93.184.216.34"}
    bundle = certifi.where()
    development_tls = TransportPolicy(allow_http=True, static_hosts=hosts, ca_bundle=bundle)
    assert await asked(services, development_tls, "https") == ["https"]
    assert await asked(services, development_tls, "http") == ["https", "http"]
    development = TransportPolicy(allow_http=True, static_hosts=hosts)
    assert await asked(services, development, "http") == ["http"]
    production = TransportPolicy(static_hosts=hosts)
    assert await asked(services, production, "https") == ["https"]
