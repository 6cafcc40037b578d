"""An in-process Harbour app on a real database, reached through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from content import accounts
from federation.transport import Transport, TransportPolicy
from moderation import allowlist
from node.app import create_app
from node.settings import Settings
from node.state import Services
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

DOMAIN = "harbour.test"
BASE = f"https://{DOMAIN}"
EVE = "https://remote.example/users/eve"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        domain=DOMAIN,
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="a-test-secret-key-that-is-long-enough-0123456789",
        # In-process tests GET documents unsigned; test_authorized_fetch turns it back on.
        authorized_fetch=False,
        # Remote servers here stand for long-known peers; tests of quarantine set days.
        quarantine_days=0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    yield application
    await application.state.services.engine.dispose()


@pytest.fixture
def services(app: Starlette) -> Services:
    found: Services = app.state.services
    return found


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.77", 40123))
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{DOMAIN}") as http:
        yield http


@pytest.fixture
async def remote(services: Services) -> AsyncIterator[FakeServer]:
    """remote.example, allowlisted, with eve on it; the node reaches it through a mock."""
    server = FakeServer()
    server.add_actor(EVE, keypair_for_tests(3), "eve")
    # Public addresses (the mock answers for them): the private-address guard stays on.
    policy = TransportPolicy(
        static_hosts={"remote.example": "93.184.216.34", "victim.example": "93.184.216.35"}
    )
    await services.federation.transport.aclose()
    services.federation.transport = Transport(
        policy, user_agent="test", transport=httpx.MockTransport(server.handle)
    )
    async with services.sessions() as session, session.begin():
        await allowlist.allow(session, "remote.example")
        await allowlist.allow(session, "victim.example")
        await world.local_member(session, "alice", base_url=BASE)
        await accounts.ensure_instance_actor(
            session, base_url=BASE, host="harbour.test", keypair=keypair_for_tests(2)
        )
    yield server
