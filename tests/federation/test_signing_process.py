"""Requests signed in a process of their own: each gets the signature of its own body and
target, however many go together; one request's failure is its own; the process starts
with a burst of requests (here mostly with the first: `burst=1`) and takes requests once it
has imported what it needs, ends with the node however it ends (Ctrl-C included, once it
has signed what it holds), and when it crashes or hangs (then it is killed) the loop signs
what it held: no request fails for it. An ended one's process id is never killed."""

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
from federation.signing_process import SigningProcess
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
    """The signing process's id, once a request (signed on the loop) started it and it
    answers (within 30 s: a start that never ends so fails, where it held the suite)."""
    await sign(signing, 0, Style.RFC9421)
    async with asyncio.timeout(30):
        while not signing.ready:
            await asyncio.sleep(0.01)
    assert signing.pid is not None
    return signing.pid


def verified(headers: dict[str, str], number: int) -> bool:
    """Whether `headers` sign request `number` (RFC 9421) with SIGNER's key."""
    netloc, sent, body = request(number)
    parts = RequestParts("POST", "/inbox", {**sent, **headers}, body)
    url = f"https://{netloc}/inbox"
    return message_signatures.verify(parts, url, KEYS.public_pem) == SIGNER.key_id


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
async def test_a_crash_loses_no_request_and_the_next_burst_starts_anew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signing_process, "RESTART", 0.0)
    signing = SigningProcess(separate=True, burst=1)
    try:
        first = await started(signing)
        os.kill(first, signal.SIGKILL)
        assert wait_gone(first)  # blocking: the loop has not seen it end yet
        held = await asyncio.gather(*(sign(signing, n, Style.RFC9421) for n in range(5)))
        assert all(verified(headers, n) for n, headers in enumerate(held))  # by the loop
        assert await started(signing) != first
    finally:
        await signing.aclose()


async def test_requests_made_while_it_starts_are_signed_on_the_loop() -> None:
    """It takes requests once its imports are done (~0.1 s), never before: the first ones
    waited for them."""
    signing = SigningProcess(separate=True, burst=1)
    try:
        await sign(signing, 0, Style.RFC9421)  # starts it
        while signing.pid is None:
            await asyncio.sleep(0.001)
        assert not signing.ready
        signed = await asyncio.gather(*(sign(signing, n, Style.RFC9421) for n in range(8)))
        assert signing.held == 0 and not signing.ready
        assert all(verified(headers, n) for n, headers in enumerate(signed))
    finally:
        await signing.aclose()


@pytest.mark.expect_failures(
    r"harbour.signing: a request waited \d s for the signing process; ending it$",
    r"harbour.signing: the signing process ended with 5 requests$",
)
async def test_a_hung_process_is_ended_and_the_loop_signs_what_it_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopped (SIGSTOP, swapped out), it held every signed request of the node until the
    transport's deadline blamed the remote servers for it."""
    monkeypatch.setattr(signing_process, "STALL_SECONDS", 0.5)
    signing = SigningProcess(separate=True, burst=1)
    try:
        hung = await started(signing)
        os.kill(hung, signal.SIGSTOP)
        began = asyncio.get_running_loop().time()
        held = await asyncio.gather(*(sign(signing, n, Style.RFC9421) for n in range(5)))
        assert asyncio.get_running_loop().time() - began < 5
        assert all(verified(headers, n) for n, headers in enumerate(held))
        assert wait_gone(hung), "the hung signing process was left running"
    finally:
        await signing.aclose()


@pytest.mark.expect_failures(
    r"harbour.signing: a request waited \d s for the signing process; ending it$",
    r"harbour.signing: the signing process ended with \d+ requests$",
)
async def test_a_process_answering_now_and_then_is_ended_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopped for a while and let run a moment, again and again, it answered often enough
    never to seem hung, and the node's requests went at its pace (attack12)."""
    monkeypatch.setattr(signing_process, "STALL_SECONDS", 1.0)
    signing = SigningProcess(separate=True, burst=1)
    try:
        slow = await started(signing)
        os.kill(slow, signal.SIGSTOP)

        async def now_and_then() -> None:
            while not gone(slow):
                os.kill(slow, signal.SIGCONT)
                await asyncio.sleep(0.05)  # some frames answered
                os.kill(slow, signal.SIGSTOP)
                await asyncio.sleep(0.4)  # less than STALL_SECONDS without an answer

        stepping = asyncio.create_task(now_and_then())
        try:
            signed = await asyncio.gather(*(sign(signing, n, Style.RFC9421) for n in range(600)))
        finally:
            stepping.cancel()
        assert all(verified(headers, n) for n, headers in enumerate(signed))
        assert wait_gone(slow), "the slow signing process was left in use"
    finally:
        await signing.aclose()


def test_the_process_runs_the_nodes_own_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its folder goes first on the child's path only where the child would miss it (the
    node's first path entry, the working folder of `python -m`); where the node found it
    otherwise (site-packages, PYTHONPATH) it stays where it is, after the standard library."""
    code = signing_process._CODE
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    monkeypatch.setattr(sys, "path", [code, "/usr/lib/python3.11"])
    assert signing_process._child_environment()["PYTHONPATH"].split(os.pathsep) == [
        code,
        "/elsewhere",
    ]
    monkeypatch.setattr(sys, "path", ["", "/usr/lib/python3.11", code])
    assert signing_process._child_environment()["PYTHONPATH"] == "/elsewhere"


@pytest.mark.expect_failures(r"harbour.signing: the signing process could not start: ")
async def test_a_start_that_fails_leaves_nothing_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing_process.sys, "executable", "/nonexistent/python")
    signing = SigningProcess(separate=True, burst=1)
    before = asyncio.all_tasks()
    assert verified(await sign(signing, 0, Style.RFC9421), 0)  # the loop signs it
    await asyncio.sleep(0.2)  # the start has failed by now
    assert signing.pid is None
    assert asyncio.all_tasks() - before == set()  # a task waited for it forever
    await signing.aclose()


async def test_ctrl_c_leaves_it_signing() -> None:
    """Ctrl-C reaches the node's whole process group: the node ends it once it has signed
    what it holds (it ended at once, and what it held failed)."""
    signing = SigningProcess(separate=True, burst=1)
    try:
        pid = await started(signing)
        os.kill(pid, signal.SIGINT)
        await asyncio.sleep(0.2)
        assert signing.pid == pid and signing.ready
        assert verified(await sign(signing, 1, Style.RFC9421), 1)
        assert signing.pid == pid  # signed by it
    finally:
        await signing.aclose()


async def test_an_ended_process_whose_id_another_took_is_never_killed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The next start killed the ended one by its process id, which another process may
    have taken by then (forced here through ns_last_pid)."""
    if not os.access(NEXT_PID, os.W_OK):
        pytest.skip(f"forcing a process id needs root ({NEXT_PID} is not writable)")
    monkeypatch.setattr(signing_process, "IDLE", 0.3)
    monkeypatch.setattr(signing_process, "RESTART", 0.0)
    signing = SigningProcess(separate=True, burst=1)
    try:
        ended = await started(signing)
        # Left idle, its input is closed and it ends. The loop goes on meanwhile: the pipe
        # is closed by a callback after the process is marked ended, and a blocking wait
        # there could wait for a process that never saw its input close.
        async with asyncio.timeout(30):
            while signing.pid is not None or not gone(ended):
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # reaped
        taken = take_process_id(ended)
        try:
            assert await started(signing) != ended  # the next start
            assert taken.poll() is None, "the process that took the ended one's id was killed"
        finally:
            taken.kill()
            taken.wait()
    finally:
        await signing.aclose()


NEXT_PID = "/proc/sys/kernel/ns_last_pid"


def take_process_id(pid: int) -> subprocess.Popen[bytes]:
    """A `sleep` that has process id `pid` (other processes of the machine may take it
    first: tried again)."""
    for _ in range(50):
        Path(NEXT_PID).write_text(str(pid - 1))
        taken = subprocess.Popen(["sleep", "60"])
        if taken.pid == pid:
            return taken
        taken.kill()
        taken.wait()
    pytest.fail(f"process id {pid} was never free to take")


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


async def test_a_process_slower_to_start_than_its_idleness_is_used_once_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its idleness counted from its start: one still importing after IDLE (a loaded
    machine) was ended before it said it was ready; each started since went the same way,
    and every request was signed on the loop."""
    monkeypatch.setattr(signing_process, "IDLE", 0.03)  # a start takes ~0.12 s
    monkeypatch.setattr(signing_process, "RESTART", 0.0)
    signing = SigningProcess(separate=True, burst=1)
    try:
        async with asyncio.timeout(30):
            number = 0
            while not signing.ready:  # a request every 5 ms, each in a burst
                number += 1
                assert "Signature" in await sign(signing, number, Style.RFC9421)
                await asyncio.sleep(0.005)
        ready = signing.pid
        assert ready is not None
        async with asyncio.timeout(30):  # then left idle, it ends
            while not gone(ready):
                await asyncio.sleep(0.01)
    finally:
        await signing.aclose()


@pytest.mark.expect_failures(r"harbour.signing: the signing process did not start in ")
async def test_a_process_that_never_says_it_is_ready_is_ended_and_another_started(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One hung in its imports was kept for good, and no other was ever started: every
    request of the node was signed on the loop (attack17)."""
    hung = tmp_path / "hung"
    hung.write_text("#!/bin/sh\nexec sleep 60\n")
    hung.chmod(0o755)
    monkeypatch.setattr(signing_process, "START_SECONDS", 0.3)
    monkeypatch.setattr(signing_process, "RESTART", 0.0)
    monkeypatch.setattr(signing_process.sys, "executable", str(hung))
    signing = SigningProcess(separate=True, burst=1)
    try:
        starts: list[int] = []
        async with asyncio.timeout(30):
            for number in range(2):
                assert verified(await sign(signing, number, Style.RFC9421), number)  # the loop
                while (pid := signing.pid) is None or pid in starts:
                    await asyncio.sleep(0.01)
                starts.append(pid)
                while not gone(pid):  # killed
                    await asyncio.sleep(0.01)
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
