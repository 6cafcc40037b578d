"""The outbound client: where it refuses to go, and what it refuses to read."""

from __future__ import annotations

import httpx
import pytest

from federation.signature_styles import RE_PROBE, SignatureStyles
from federation.transport import (
    FetchError,
    RefusedAddress,
    SigningKey,
    Transport,
    TransportPolicy,
    _is_public,
)
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
PUBLIC = {"remote.example": "93.184.216.34", "evil.example": "93.184.216.35"}
JSON = {"content-type": "application/activity+json"}


def transport(handler: httpx.MockTransport, **policy: object) -> Transport:
    return Transport(
        TransportPolicy(static_hosts=PUBLIC, **policy),  # type: ignore[arg-type]
        user_agent="test",
        transport=handler,
    )


def answering(response: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response

    return httpx.MockTransport(handle), seen


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/users/x",
        "https://127.0.0.1/users/x",
        "https://10.0.0.8/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest/meta-data",
    ],
)
async def test_private_and_reserved_addresses_are_refused(url: str) -> None:
    handler, seen = answering(httpx.Response(200, json={}))
    client = transport(handler)
    with pytest.raises(RefusedAddress):
        await client.get_document(url, None)
    assert seen == []
    await client.aclose()


async def test_development_allows_loopback_and_http() -> None:
    handler, seen = answering(httpx.Response(200, json={"id": "x"}))
    client = transport(handler, allow_private_addresses=True, allow_http=True)
    assert await client.get_document("http://127.0.0.1:8080/users/x", None) == {"id": "x"}
    assert seen[0].headers["host"] == "127.0.0.1:8080"
    await client.aclose()


async def test_plain_http_is_refused_on_a_public_node() -> None:
    handler, _ = answering(httpx.Response(200, json={}))
    client = transport(handler)
    with pytest.raises(FetchError, match="only https"):
        await client.get_document("http://remote.example/users/x", None)
    await client.aclose()


class Rebinding(dict[str, str]):
    """A name that resolves to a public address first and to loopback after (DNS
    rebinding), in place of the resolver."""

    def __init__(self) -> None:
        super().__init__()
        self.answers = iter(["93.184.216.35", "127.0.0.1"])

    def get(self, host: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return next(self.answers)


async def test_a_redirect_to_a_private_address_is_refused() -> None:
    """The redirect stays on its host (the other-host rule lets it through), but the name
    now resolves to loopback: the address check of the second hop refuses it."""
    handler, seen = answering(httpx.Response(302, headers={"location": "/admin"}))
    client = Transport(
        TransportPolicy(static_hosts=Rebinding()), user_agent="test", transport=handler
    )
    with pytest.raises(RefusedAddress, match="private or reserved"):
        await client.get_document("https://evil.example/users/x", None)
    assert [request.url.path for request in seen] == ["/users/x"]
    await client.aclose()


async def test_endless_redirects_stop() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://remote.example/again"})

    client = transport(httpx.MockTransport(handle))
    with pytest.raises(FetchError, match="redirected more than 3 times"):
        await client.get_document("https://remote.example/users/x", None)
    await client.aclose()


async def test_oversized_and_non_json_answers_are_refused() -> None:
    big, _ = answering(httpx.Response(200, content=b"[" + b"1," * 600_000 + b"1]"))
    client = transport(big)
    with pytest.raises(FetchError, match="more than 1048576 bytes"):
        await client.get_document("https://remote.example/users/x", None)
    await client.aclose()
    html, _ = answering(httpx.Response(200, content=b"<html>", headers=JSON))
    client = transport(html)
    with pytest.raises(FetchError, match="did not answer JSON"):
        await client.get_document("https://remote.example/users/x", None)
    await client.aclose()
    typed, _ = answering(httpx.Response(200, content=b"{}", headers={"content-type": "text/html"}))
    client = transport(typed)
    with pytest.raises(FetchError, match="did not answer a JSON media type"):
        await client.get_document("https://remote.example/users/x", None)
    await client.aclose()


async def test_timeouts_become_fetch_errors() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = transport(httpx.MockTransport(handle))
    with pytest.raises(FetchError, match="timed out"):
        await client.post_activity(
            "https://remote.example/inbox", b"{}", SigningKey("k", keypair_for_tests(0).private_pem)
        )
    await client.aclose()


async def test_posts_are_signed_with_a_digest_and_connect_to_the_checked_address() -> None:
    handler, seen = answering(httpx.Response(202))
    client = transport(handler)
    result = await client.post_activity(
        "https://remote.example/inbox",
        b'{"a":1}',
        SigningKey("https://h/u#k", keypair_for_tests(0).private_pem),
    )
    assert result.status == 202
    sent = seen[0]
    assert sent.url.host == "93.184.216.34"
    assert sent.headers["host"] == "remote.example"
    assert sent.headers["content-digest"].startswith("sha-256=:")
    assert 'keyid="https://h/u#k"' in sent.headers["signature-input"]
    assert '"@target-uri"' in sent.headers["signature-input"]
    await client.aclose()


def refusing_rfc9421(cavage_status: int) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """An inbox that answers 401 to an RFC 9421 signature and `cavage_status` otherwise."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401 if "signature-input" in request.headers else cavage_status)

    return httpx.MockTransport(handle), seen


async def test_a_refused_rfc9421_signature_is_knocked_again_the_draft_cavage_way() -> None:
    handler, seen = refusing_rfc9421(202)
    client = transport(handler)
    signer = SigningKey("https://h/u#k", keypair_for_tests(0).private_pem)
    assert (await client.post_activity("https://remote.example/inbox", b"{}", signer)).status == 202
    assert ["signature-input" in sent.headers for sent in seen] == [True, False]
    assert seen[1].headers["digest"].startswith("SHA-256=")
    assert 'keyId="https://h/u#k"' in seen[1].headers["signature"]
    # Remembered: the next request to the host is signed draft-cavage at once.
    assert (await client.post_activity("https://remote.example/inbox", b"{}", signer)).status == 202
    assert ["signature-input" in sent.headers for sent in seen] == [True, False, False]
    assert client.styles.first("remote.example") == "draft-cavage"
    await client.aclose()


async def test_a_host_refusing_both_signatures_is_not_remembered_as_draft_cavage() -> None:
    handler, seen = refusing_rfc9421(403)
    client = transport(handler)
    signer = SigningKey("https://h/u#k", keypair_for_tests(0).private_pem)
    assert (await client.post_activity("https://remote.example/inbox", b"{}", signer)).status == 403
    assert len(seen) == 2
    assert client.styles.first("remote.example") == "rfc9421"
    await client.aclose()


def test_a_draft_cavage_host_is_probed_with_rfc9421_again_after_a_week() -> None:
    now = [0.0]
    styles = SignatureStyles(clock=lambda: now[0])
    styles.takes_cavage("old.example")
    now[0] = RE_PROBE - 1
    assert styles.first("old.example") == "draft-cavage"
    now[0] = RE_PROBE + 1
    assert styles.first("old.example") == "rfc9421"


@pytest.mark.parametrize(
    "address", ["64:ff9b::7f00:1", "2002:7f00:1::", "::7f00:1", "::ffff:10.0.0.1", "::1", "fd00::1"]
)
def test_ipv4_wrapped_in_ipv6_is_unwrapped_before_the_check(address: str) -> None:
    assert _is_public(address) is False


async def test_redirects_to_another_host_and_user_information_are_refused() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://evil.example/fake-actor"})

    client = transport(httpx.MockTransport(handle))
    with pytest.raises(FetchError, match="redirected to another host"):
        await client.get_document("https://remote.example/redirect", None)
    with pytest.raises(FetchError, match="user information"):
        await client.get_document("https://remote.example:443@evil.example/users/x", None)
    await client.aclose()
