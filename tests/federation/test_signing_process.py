"""Requests signed in a process of their own: each gets the signature of its own body and
target, however many go together; one request's failure is its own; the process starts
with a burst of requests (here mostly with the first: `burst=1`), ends with the node however
it ends, and a crash of it fails only the requests it held, which are signed again by a new
one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from activitypub import SignatureError, message_signatures, signatures
from activitypub.signatures import RequestParts
from federation import signing_process
from federation.signature_styles import SigningKey, Style
from federation.signing_process import SignerEnded, SigningProcess
from tests.rig.keys import keypair_for_tests
from tests.rig.processes import gone, wait_gone

pytestmark = pytest.mark.anyio
KEYS = keypair_for_tests(0)
SIGNER = SigningKey("https://harbour.test/actor#main-key", KEYS.private_pem)
ROOT = Path(__file__).resolve().parents[2]


def request(number: int) -> tuple[str, dict[str, str], bytes]:
    netloc = f"server{number}.test"
    body = f'{{"type": "Create", "n": {number}}}'.encode()
    return netloc, {"content-type": "application/activity+json", "host": netloc}, body


async def sign(
    signing: SigningProcess, number: int, style: Style, signer: SigningKey = SIGNER
) -> dict[str, str]:
    netloc, headers, body = request(number)
    return await signing.headers("POST", "https", "/inbox", netloc, headers, body, signer, style)


async def started(signing: SigningProcess) -> int:
    """The signing process's id, once a request (signed on the loop) started it."""
    await sign(signing, 0, Style.RFC9421)
    while signing.pid is None:
        await asyncio.sleep(0.01)
    return signing.pid


@pytest.mark.parametrize("separate", [True, False])
@pytest.mark.parametrize("style", list(Style))
async def test_each_request_is_signed_for_its_own_target_and_body(
    separate: bool, style: Style
) -> None:
    signing = SigningProcess(separate=separate, burst=1)
    try:
        if separate:
            await started(signing)
        signed = await asyncio.gather(*(sign(signing, number, style) for number in range(40)))
    finally:
        await signing.aclose()
    for number, added in enumerate(signed):
        netloc, headers, body = request(number)
        parts = RequestParts("POST", "/inbox", {**headers, **added}, body)
        other = RequestParts("POST", "/inbox", {**headers, **added}, body + b" ")
        if style is Style.RFC9421:
            url = f"https://{netloc}/inbox"
            assert message_signatures.verify(parts, url, KEYS.public_pem) == SIGNER.key_id
            with pytest.raises(SignatureError):  # not another request's signature
                message_signatures.verify(other, url, KEYS.public_pem)
        else:
            assert signatures.verify(parts, KEYS.public_pem).key_id == SIGNER.key_id
            with pytest.raises(SignatureError):
                signatures.verify(other, KEYS.public_pem)


async def test_a_post_to_a_few_servers_is_signed_on_the_loop_and_a_burst_starts_the_process() -> (
    None
):
    signing = SigningProcess(separate=True)
    try:
        for number in range(signing_process.BURST - 1):
            assert "Signature" in await sign(signing, number, Style.RFC9421)
        await asyncio.sleep(0.3)  # time enough for a process to be started
        assert signing.pid is None
        assert await started(signing) > 0  # the BURST-th request within a second
    finally:
        await signing.aclose()


async def test_a_request_fails_alone() -> None:
    broken = SigningKey("https://harbour.test/broken#main-key", "not a key")
    signing = SigningProcess(separate=True, burst=1)
    assert signing.pid is None  # an idle node has no signing process
    try:
        await started(signing)
        results = await asyncio.gather(
            *(
                sign(signing, number, Style.RFC9421, broken if number == 3 else SIGNER)
                for number in range(20)
            ),
            return_exceptions=True,
        )
        assert signing.held == 0
    finally:
        await signing.aclose()
    assert isinstance(results[3], SignatureError)
    assert all(isinstance(r, dict) and "Signature" in r for n, r in enumerate(results) if n != 3)


@pytest.mark.expect_failures(r"harbour.signing: the signing process ended with 5 requests$")
async def test_a_crash_fails_the_requests_it_held_and_the_next_one_starts_anew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signing_process, "RESTART", 0.0)
    signing = SigningProcess(separate=True, burst=1)
    try:
        first = await started(signing)
        os.kill(first, signal.SIGKILL)
        assert wait_gone(first)  # blocking: the loop has not seen it end yet
        held = await asyncio.gather(
            *(sign(signing, n, Style.RFC9421) for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(one, SignerEnded) for one in held)
        assert "Signature" in await sign(signing, 5, Style.CAVAGE)  # on the loop meanwhile
        assert await started(signing) != first
    finally:
        await signing.aclose()


async def test_a_process_left_idle_ends_and_the_next_request_starts_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its memory is given back between bursts; no request is lost to its ending."""
    monkeypatch.setattr(signing_process, "IDLE", 0.3)
    monkeypatch.setattr(signing_process, "RESTART", 0.0)  # IDLE is longer in use
    signing = SigningProcess(separate=True, burst=1)
    try:
        first = await started(signing)
        assert "Signature" in await sign(signing, 1, Style.RFC9421)  # by the process
        for _ in range(500):
            if gone(first):
                break
            await asyncio.sleep(0.01)
        assert gone(first), "the signing process outlived its idleness"
        assert signing.pid is None
        assert "Signature" in await sign(signing, 2, Style.CAVAGE)  # on the loop meanwhile
        assert await started(signing) != first
    finally:
        await signing.aclose()


NODE = """
import asyncio, sys
from federation.signature_styles import SigningKey, Style
from federation.signing_process import SigningProcess
from tests.rig.keys import keypair_for_tests
from tests.rig.processes import gone, wait_gone

async def main():
    signing = SigningProcess(separate=True, burst=1)
    key = SigningKey("https://harbour.test/actor#main-key", keypair_for_tests(0).private_pem)
    await signing.headers("GET", "https", "/", "a.test", {"host": "a.test"}, b"", key,
                          Style.RFC9421)
    while signing.pid is None:
        await asyncio.sleep(0.01)
    print(signing.pid, flush=True)
    await asyncio.sleep(float(sys.argv[1]))

asyncio.run(main())
"""


@pytest.mark.parametrize("ending", ["killed", "returns"])
def test_the_signing_process_ends_with_the_node(ending: str) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", NODE, "60" if ending == "killed" else "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as node:
        assert node.stdout is not None
        child = int(node.stdout.readline())
        if ending == "killed":
            assert not gone(child)
            node.kill()  # no clean-up of its own runs
        node.wait(30)
        assert wait_gone(child), "the signing process outlived the node"


def test_signing_goes_on_in_a_new_event_loop_after_the_first_one_closed() -> None:
    signing = SigningProcess(separate=True, burst=1)

    async def ask(numbers: range) -> list[dict[str, str]]:
        return list(await asyncio.gather(*(sign(signing, n, Style.RFC9421) for n in numbers)))

    async def ask_started(numbers: range) -> list[dict[str, str]]:
        await started(signing)
        return await ask(numbers)

    assert all("Signature" in headers for headers in asyncio.run(ask_started(range(3))))
    assert all("Signature" in headers for headers in asyncio.run(ask_started(range(3, 6))))
    asyncio.run(signing.aclose())
