"""Where the transport connects when a name resolves to several addresses, or changes its
answer between two lookups (DNS rebinding): never to a private address."""

from __future__ import annotations

import httpx
import pytest

from federation.transport import (
    FetchError,
    RefusedAddress,
    SigningKey,
    Transport,
    TransportPolicy,
)
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
PUBLIC_ADDRESS = "93.184.216.34"
SIGNER = SigningKey("https://harbour.test/actor#main-key", keypair_for_tests(0).private_pem)


class Resolver:
    """A DNS server under an attacker's control: each lookup gives the next answer (the
    last one again once they run out)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


def recording(
    answer: httpx.Response,
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A network that answers every connection with `answer` and records where it went."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    return httpx.MockTransport(handle), seen


@pytest.mark.parametrize(
    "addresses",
    [
        [PUBLIC_ADDRESS, "127.0.0.1"],
        ["10.0.0.8", PUBLIC_ADDRESS],
        [PUBLIC_ADDRESS, "::ffff:169.254.169.254"],
        ["2606:2800:220:1:248:1893:25c8:1946", "fd00::1"],
    ],
)
async def test_a_host_with_public_and_private_addresses_is_refused(addresses: list[str]) -> None:
    network, seen = recording(httpx.Response(200, json={"id": "x"}))
    client = Transport(
        TransportPolicy(), user_agent="test", transport=network, resolver=Resolver(addresses)
    )
    with pytest.raises(RefusedAddress):
        await client.get_document("https://mixed.example/users/x", None)
    with pytest.raises(RefusedAddress):
        await client.post_activity("https://mixed.example/inbox", b"{}", SIGNER)
    assert seen == []
    await client.aclose()


async def test_a_rebound_name_never_reaches_the_private_address() -> None:
    # The first lookup answers a public address, every later one a private address.
    resolver = Resolver([PUBLIC_ADDRESS], ["127.0.0.1"], ["127.0.0.1"])
    network, seen = recording(httpx.Response(202))
    client = Transport(TransportPolicy(), user_agent="test", transport=network, resolver=resolver)

    first = await client.post_activity("https://rebind.example/inbox", b"{}", SIGNER)
    assert first.status == 202
    with pytest.raises(RefusedAddress):
        await client.post_activity("https://rebind.example/inbox", b"{}", SIGNER)

    # The one connection made went to the address that was checked, under the asked name.
    assert [(request.url.host, request.headers["host"]) for request in seen] == [
        (PUBLIC_ADDRESS, "rebind.example")
    ]
    assert resolver.asked == ["rebind.example", "rebind.example"]
    await client.aclose()


async def test_a_redirect_on_a_rebound_name_is_checked_again() -> None:
    # The document redirects within its own host; by then the name points inside.
    resolver = Resolver([PUBLIC_ADDRESS], ["169.254.169.254"])

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "/latest/meta-data"})

    seen: list[httpx.Request] = []
    client = Transport(
        TransportPolicy(),
        user_agent="test",
        transport=httpx.MockTransport(handle),
        resolver=resolver,
    )
    with pytest.raises(RefusedAddress):
        await client.get_document("https://rebind.example/users/x", None)
    assert [request.url.host for request in seen] == [PUBLIC_ADDRESS]
    assert len(resolver.asked) == 2
    await client.aclose()


async def test_a_name_that_resolves_to_nothing_is_a_fetch_error() -> None:
    network, seen = recording(httpx.Response(200, json={}))
    client = Transport(
        TransportPolicy(), user_agent="test", transport=network, resolver=Resolver([])
    )
    with pytest.raises(FetchError, match="does not resolve"):
        await client.get_document("https://nowhere.example/users/x", None)
    assert seen == []
    await client.aclose()
