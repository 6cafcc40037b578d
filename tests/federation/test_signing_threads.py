"""Requests signed in threads beside the event loop: each request gets the signature of its
own body and target, however many are signed together, and one request's failure or
cancellation is its own."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from activitypub import SignatureError, message_signatures
from activitypub.signatures import RequestParts
from federation.signature_styles import SigningKey, Style, signing_headers
from federation.signing_threads import SigningThreads
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
KEYS = keypair_for_tests(0)
SIGNER = SigningKey("https://harbour.test/actor#main-key", KEYS.private_pem)


def request(number: int) -> tuple[httpx.URL, str, dict[str, str], bytes]:
    netloc = f"server{number}.test"
    body = f'{{"type": "Create", "n": {number}}}'.encode()
    headers = {"content-type": "application/activity+json", "host": netloc}
    return httpx.URL(f"https://{netloc}/inbox"), netloc, headers, body


@pytest.mark.parametrize("threads", [0, 1, 2])
async def test_each_request_is_signed_for_its_own_target_and_body(threads: int) -> None:
    signing = SigningThreads(signing_headers, threads)
    requests = [request(number) for number in range(40)]
    try:
        signed = await asyncio.gather(
            *(
                signing.headers("POST", url, netloc, headers, body, SIGNER, Style.RFC9421)
                for url, netloc, headers, body in requests
            )
        )
    finally:
        signing.close()
    for (url, _, headers, body), added in zip(requests, signed, strict=True):
        parts = RequestParts("POST", "/inbox", {**headers, **added}, body)
        keyid = message_signatures.verify(parts, str(url), KEYS.public_pem)
        assert keyid == SIGNER.key_id
        with pytest.raises(SignatureError):  # not another request's signature
            other = RequestParts("POST", "/inbox", {**headers, **added}, body + b" ")
            message_signatures.verify(other, str(url), KEYS.public_pem)


async def test_a_request_that_cannot_be_signed_fails_alone() -> None:
    def sign(number: int) -> dict[str, str]:
        if number == 3:
            raise SignatureError("the private key cannot sign")
        return {"signed": str(number)}

    signing = SigningThreads(sign, 2)
    try:
        results = await asyncio.gather(
            *(signing.headers(number) for number in range(20)), return_exceptions=True
        )
    finally:
        signing.close()
    assert isinstance(results[3], SignatureError)
    assert [r for n, r in enumerate(results) if n != 3] == [
        {"signed": str(n)} for n in range(20) if n != 3
    ]


async def test_a_request_given_up_does_not_hold_up_the_others() -> None:
    signing = SigningThreads(lambda number: {"signed": str(number)}, 1)
    try:
        waiting = [asyncio.ensure_future(signing.headers(number)) for number in range(10)]
        waiting[0].cancel()  # its deadline passed
        done = await asyncio.gather(*waiting[1:])
        assert done == [{"signed": str(n)} for n in range(1, 10)]
        assert waiting[0].cancelled()
        assert await signing.headers(10) == {"signed": "10"}  # and later ones still come
    finally:
        signing.close()


def test_signing_goes_on_in_a_new_event_loop_after_the_first_one_closed() -> None:
    signing = SigningThreads(lambda number: {"signed": str(number)}, 1)

    async def ask(numbers: range) -> list[dict[str, str]]:
        return list(await asyncio.gather(*(signing.headers(n) for n in numbers)))

    try:
        assert asyncio.run(ask(range(5))) == [{"signed": str(n)} for n in range(5)]
        assert asyncio.run(ask(range(5, 9))) == [{"signed": str(n)} for n in range(5, 9)]
    finally:
        signing.close()
