"""A worker whose PostgreSQL connections go silent mid-queue: the network between them drops
every packet (a NAT that forgot the connections, a failed link), with no error and no
answer. Its outcome write waited ~15 minutes for TCP to give up, and every sender with it;
now the connection fails within ~30 s (`orm.SILENT_CONNECTION_BOUNDS`), the pool replaces it,
and every delivery arrives exactly once.

The silence is real: the worker reaches the database through a veth link into a network
namespace of its own, taken down mid-queue (needs root and iproute2; skipped otherwise).
New connections fail over to the database directly (libpq's host list), as a node's would
once the network has a route again."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from federation.delivery import Delivery
from federation.worker import Worker
from node.database import create_engine, create_sessionmaker
from tests.federation.test_delivery import federation_with, queue_for_busy_host
from tests.rig.databases import PostgresDatabases
from tests.rig.stream_servers import stream_server

pytestmark = pytest.mark.anyio
QUEUED = 60
SILENT_AFTER = 12  # deliveries sent before the link goes down
_LISTEN = """
import socket, sys
listener = socket.socket()
listener.bind((sys.argv[1], 0))
listener.listen()
socket.send_fds(socket.socket(fileno=int(sys.argv[2])), [b"x"], [listener.fileno()])
"""


def _ip(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], check=True, capture_output=True)


@contextmanager
def link_to_drop() -> Iterator[tuple[socket.socket, str]]:
    """A listening socket behind a veth link into a network namespace of its own, and the
    name of the link's end here: taken down, it drops every packet silently."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to drop a link's packets")
    tag = f"hq{os.getpid() % 100_000}"
    net = f"10.213.{os.getpid() % 250}"
    here, there = f"{tag}a", f"{tag}b"
    try:
        listener = _listening_behind(tag, here, there, net)
    except subprocess.CalledProcessError as error:
        _ip_quietly(tag, here)
        pytest.skip(f"no network namespace here: {error.stderr.decode().strip()}")
    try:
        with listener:
            yield listener, here
    finally:
        _ip_quietly(tag, here)


def _listening_behind(tag: str, here: str, there: str, net: str) -> socket.socket:
    """A listening socket at `net`.2 in namespace `tag`, reached through the veth link
    `here`-`there`."""
    _ip("netns", "add", tag)
    _ip("link", "add", here, "type", "veth", "peer", "name", there)
    _ip("link", "set", there, "netns", tag)
    _ip("addr", "add", f"{net}.1/30", "dev", here)
    _ip("link", "set", here, "up")
    _ip("-n", tag, "addr", "add", f"{net}.2/30", "dev", there)
    _ip("-n", tag, "link", "set", there, "up")
    ours, theirs = socket.socketpair()
    with ours, theirs:
        subprocess.run(
            ["ip", "netns", "exec", tag, sys.executable, "-c", _LISTEN]
            + [f"{net}.2", str(theirs.fileno())],
            check=True,
            capture_output=True,
            pass_fds=[theirs.fileno()],
        )
        _, fds, _, _ = socket.recv_fds(ours, 1, 1)
    return socket.socket(fileno=fds[0])


def _ip_quietly(tag: str, link: str) -> None:
    """The link and the namespace gone, if they were made."""
    subprocess.run(["ip", "link", "del", link], capture_output=True)
    subprocess.run(["ip", "netns", "del", tag], capture_output=True)


@asynccontextmanager
async def forwarder(
    listener: socket.socket, upstream: tuple[str, int]
) -> AsyncIterator[list[asyncio.StreamWriter]]:
    """Forward each connection `listener` takes to `upstream`; yields the upstream writers
    (closed when the link goes down: the server notices its client gone, as its own
    keepalives would, and ends the transaction it left open)."""
    upstreams: list[asyncio.StreamWriter] = []
    pipes: set[asyncio.Task[None]] = set()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*upstream)
        upstreams.append(up_writer)
        for one in (pipe(reader, up_writer), pipe(up_reader, writer)):
            pipes.add(asyncio.create_task(one))

    async with stream_server(handle, sock=listener):
        try:
            yield upstreams
        finally:
            for task in pipes:
                task.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)
            for writer in upstreams:
                writer.close()


@pytest.mark.expect_failures(r"recording a delivery to busy.test failed")
async def test_a_worker_whose_database_goes_silent_recovers_and_sends_each_once(
    postgresql_databases: PostgresDatabases,
) -> None:
    url = make_url(postgresql_databases.create())
    with link_to_drop() as (listener, link):
        through, port = listener.getsockname()
        async with forwarder(listener, (url.host or "127.0.0.1", url.port or 5432)) as upstream:
            hosts = f"{through},{url.host}"
            routed = url.set(host=None, port=None).update_query_dict(
                {"host": hosts, "port": f"{port},{url.port or 5432}"}
            )
            engine = create_engine(routed.render_as_string(hide_password=False))
            sessions = create_sessionmaker(engine)
            got: list[bytes] = []

            async def handle(request: httpx.Request) -> httpx.Response:
                await asyncio.sleep(0.05)
                got.append(request.content)
                if len(got) == SILENT_AFTER:
                    await asyncio.to_thread(_ip, "link", "set", link, "down")
                    for writer in upstream:
                        writer.close()
                return httpx.Response(202)

            fed = federation_with(sessions, httpx.MockTransport(handle), ["busy.test"])
            await queue_for_busy_host(sessions, QUEUED)
            worker = Worker(fed)
            try:
                async with asyncio.timeout(120):  # TCP alone gave up after ~15 minutes
                    while await worker.run_once():
                        pass
                async with sessions() as session:
                    states = Counter(await session.scalars(select(Delivery.state)))
            finally:
                await fed.transport.aclose()
                await engine.dispose()
    postgresql_databases.drop(url.render_as_string(hide_password=False))
    assert len(got) > SILENT_AFTER
    assert (states, max(Counter(got).values())) == ({"delivered": QUEUED}, 1)
