"""Fetching a subscribed list: through the one transport, with a one-line reason on failure."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import accounts
from federation.context import Federation
from federation.transport import Transport, TransportPolicy
from federation.trust_sources import SourceError, fetch_list
from moderation import domain_blocks
from moderation.domain_blocks import BlockTerms
from moderation.policy import FederationMode
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
URL = "https://partner.example/api/v1/instance/domain_blocks"


def federation(
    sessions: async_sessionmaker[AsyncSession],
    handle: Callable[[httpx.Request], httpx.Response],
    **policy: object,
) -> Federation:
    transport = Transport(
        TransportPolicy(static_hosts={"partner.example": "93.184.216.34"}, **policy),  # type: ignore[arg-type]
        user_agent="test",
        transport=httpx.MockTransport(handle),
        max_response_bytes=1000,
    )
    return Federation(
        sessions=sessions,
        transport=transport,
        base_url="https://here.example",
        domain="here.example",
        mode=FederationMode.OPEN,
    )


async def fetched(
    sessions: async_sessionmaker[AsyncSession],
    handle: Callable[[httpx.Request], httpx.Response],
    url: str = URL,
) -> list[BlockTerms]:
    fed = federation(sessions, handle)
    try:
        async with sessions() as session:
            await accounts.ensure_instance_actor(  # it signs the fetch
                session, base_url=fed.base_url, host=fed.domain, keypair=keypair_for_tests(2)
            )
            return list((await fetch_list(fed, session, url)).entries)
    finally:
        await fed.transport.aclose()


def raising(error: type[httpx.HTTPError]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)

    return handle


async def test_a_published_list_is_fetched_with_a_json_or_csv_accept(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"domain": "hostile.example", "severity": "silence"}])

    assert await fetched(sessions, handle) == [BlockTerms("hostile.example", severity="silence")]  # type: ignore[arg-type]
    assert seen[0].headers["accept"].startswith("application/json")
    # Signed by the instance actor: a partner publishing to partners only can tell who asks.
    assert 'keyid="https://here.example/actor#main-key"' in seen[0].headers["signature-input"]


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        (raising(httpx.ConnectError), "cannot connect (the server is down or unreachable)"),
        (raising(httpx.ReadTimeout), "timed out"),
        (lambda _r: httpx.Response(200, text="<html>hello</html>"), "neither JSON nor CSV"),
        (lambda _r: httpx.Response(200, json={"error": "x"}), "not a list"),
        (lambda _r: httpx.Response(200, text="a.example\n" * 200), "more than 1000 bytes"),
        (lambda _r: httpx.Response(503), "answered 503"),
    ],
)
async def test_a_source_that_is_down_slow_wrong_or_too_big_gives_one_line(
    sessions: async_sessionmaker[AsyncSession],
    handle: Callable[[httpx.Request], httpx.Response],
    message: str,
) -> None:
    with pytest.raises(SourceError) as caught:
        await fetched(sessions, handle)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_private_addresses_and_suspended_hosts_are_not_asked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    def handle(_request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent")

    with pytest.raises(SourceError, match="private or reserved address"):
        await fetched(sessions, handle, "https://127.0.0.1/list.csv")
    async with sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms("partner.example"))
    with pytest.raises(SourceError, match="not a host this node federates with"):
        await fetched(sessions, handle)
