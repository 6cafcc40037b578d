"""Deliveries through the transport's own POST client (aiohttp), against a real loopback
server: what arrives, which connections carry it, and what a server that is too slow or
answers too much gets."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from federation.transport import (
    POST_ANSWER_BYTES,
    SigningKey,
    TimedOut,
    Transport,
    TransportPolicy,
)
from tests.rig.keys import keypair_for_tests
from tests.rig.stream_servers import port_of, stream_server

pytestmark = pytest.mark.anyio
SIGNER = SigningKey("https://harbour.test/actor#main-key", keypair_for_tests(0).private_pem)


@dataclass
class Inbox:
    """A loopback HTTP/1.1 server: the requests it got (head lines by connection), and what
    it answers."""

    port: int = 0
    answer: bytes = b""
    silent: bool = False
    closes_after: int = 0  # requests a connection answers, then it closes unanswered (0: none)
    resets: bool = False  # closes by a reset (RST) rather than in order (FIN)
    connections: list[list[dict[str, str]]] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests: list[dict[str, str]] = []
        self.connections.append(requests)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                headers[":line"] = lines[0]
                await reader.readexactly(int(headers.get("content-length", "0")))
                requests.append(headers)
                if self.closes_after and len(requests) > self.closes_after:
                    if self.resets:  # no lingering: the kernel answers with a reset
                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        writer.transport.abort()
                    break  # its keep-alive ran out as this request arrived
                if self.silent:
                    await asyncio.sleep(60)
                writer.write(
                    b"HTTP/1.1 202 Accepted\r\nRetry-After: 7\r\n"
                    + f"Content-Length: {len(self.answer)}\r\n\r\n".encode()
                    + self.answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def running(inbox: Inbox, patience: float = 10.0) -> AsyncIterator[Transport]:
    """A transport to `inbox` that waits `patience` seconds for an answer (the machine may
    be loaded: a second was too short in a CI run)."""
    policy = TransportPolicy(
        allow_private_addresses=True,
        allow_http=True,
        static_hosts={"one.test": "127.0.0.1", "two.test": "127.0.0.1"},
    )
    transport = Transport(
        policy, user_agent="test", deadline=patience, timeout=httpx.Timeout(patience)
    )
    async with stream_server(inbox.serve, host="127.0.0.1", port=0) as server:
        inbox.port = port_of(server)
        try:
            yield transport
        finally:
            await transport.aclose()


async def test_deliveries_arrive_signed_with_the_host_name_over_kept_connections() -> None:
    inbox = Inbox()
    async with running(inbox) as transport:
        for host in ("one.test", "one.test", "two.test"):
            result = await transport.post_activity(
                f"http://{host}:{inbox.port}/inbox", b'{"type": "Create"}', SIGNER
            )
            assert (result.status, result.retry_after) == (202, "7")
    requests = [request for connection in inbox.connections for request in connection]
    assert [request["host"] for request in requests] == [
        f"{host}:{inbox.port}" for host in ("one.test", "one.test", "two.test")
    ]
    assert all("signature-input" in request and "content-digest" in request for request in requests)
    assert all(request[":line"] == "POST /inbox HTTP/1.1" for request in requests)
    assert len(inbox.connections) == 1  # plain http keys by address: one connection kept


@pytest.mark.parametrize(
    ("inbox", "requests_by_connection"),
    [
        # A long answer is not read to its end, and its connection is not kept.
        (Inbox(answer=b"x" * (POST_ANSWER_BYTES * 4)), [1, 1]),
        # A kept connection closed as the next delivery goes out (its keep-alive ran out):
        # that delivery is sent again, on a new connection.
        (Inbox(closes_after=1), [2, 1]),
        # The same, closed by a reset, as a loaded receiver's was in a CI run.
        (Inbox(closes_after=1, resets=True), [2, 1]),
    ],
    ids=["long-answer", "closed-as-sent", "reset-as-sent"],
)
async def test_two_deliveries_take_a_new_connection_when_the_first_is_not_kept(
    inbox: Inbox, requests_by_connection: list[int]
) -> None:
    async with running(inbox) as transport:
        for _ in range(2):
            result = await transport.post_activity(
                f"http://one.test:{inbox.port}/inbox", b"{}", SIGNER
            )
            assert result.status == 202
    assert [len(requests) for requests in inbox.connections] == requests_by_connection


async def test_a_server_that_never_answers_times_out() -> None:
    inbox = Inbox(silent=True)
    async with running(inbox, patience=1.0) as transport:
        with pytest.raises(TimedOut):
            await transport.post_activity(f"http://one.test:{inbox.port}/inbox", b"{}", SIGNER)
