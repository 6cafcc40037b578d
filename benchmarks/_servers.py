"""What the benchmarks share: a bare Starlette server to compare with, a sink standing for
remote servers, scratch databases, and processes' CPU time."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from tests.rig.nodes import loopback_client

BARE_APP = textwrap.dedent(
    """
    import collections, gc, importlib, sys, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    SIGNED = collections.Counter()  # POSTs by how they were signed, for GET /signed

    async def accept(request):
        await request.body()
        headers = request.headers
        SIGNED["rfc9421" if "signature-input" in headers else
               "draft-cavage" if "signature" in headers else "unsigned"] += 1
        return Response(status_code=202)

    async def hello(request):
        return JSONResponse({"ok": True})

    async def signed(request):
        return JSONResponse(SIGNED)

    gc.disable()  # while it imports what it would beside Starlette, as `harbour` does
    for module in sys.argv[3:]:
        importlib.import_module(module)
    gc.enable()

    app = Starlette(routes=[Route("/.well-known/nodeinfo", hello), Route("/signed", signed),
                            Route(sys.argv[2], accept, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
    """
)


@contextmanager
def sink_server(port: int) -> Iterator[int]:
    """Every remote server of a fan-out (`benchmarks/_sink.py`) on `port`; yields its process
    id."""
    sink = Path(__file__).with_name("_sink.py")
    with _serving([sys.executable, str(sink), str(port)], port) as (_, pid):
        yield pid


@contextmanager
def bare_server(
    workdir: Path, port: int, post_path: str = "/inbox", imports: tuple[str, ...] = ()
) -> Iterator[tuple[float, int]]:
    """A one-file Starlette app under uvicorn that answers 202 to POSTs on `post_path` (and
    counts them by signature kind: GET /signed), having imported `imports` first; yields the
    seconds it took to answer its first request, and its process id."""
    script = workdir / "bare_server.py"
    script.write_text(BARE_APP)
    with _serving([sys.executable, str(script), str(port), post_path, *imports], port) as run:
        yield run


@contextmanager
def _serving(command: list[str], port: int) -> Iterator[tuple[float, int]]:
    """`command` running, until the block ends; yields the seconds it took to answer on
    `port`, and its process id."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    try:
        yield wait_until_listening(port) - started, process.pid
    finally:
        process.terminate()
        process.wait()


def wait_until_listening(port: int) -> float:
    """Poll until the server on `port` answers; returns the perf_counter time it did."""
    deadline = time.perf_counter() + 60
    with loopback_client(base_url=f"http://127.0.0.1:{port}", timeout=1) as http:
        while time.perf_counter() < deadline:
            try:
                http.get("/.well-known/nodeinfo")
                return time.perf_counter()
            except httpx.TransportError:
                time.sleep(0.02)
    raise TimeoutError(f"nothing answers on port {port}")


@contextmanager
def scratch_database(
    workdir: Path, postgres_admin_url: str | None, template: str | None = None
) -> Iterator[str]:
    """A new SQLite file, or a new PostgreSQL database (a copy of `template` if given)
    dropped afterwards."""
    if postgres_admin_url is None:
        yield f"sqlite:///{workdir / f'{uuid.uuid4().hex}.db'}"
        return
    name = f"harbour_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as connection:
        copying = f' TEMPLATE "{template}"' if template else ""
        connection.execute(f'CREATE DATABASE "{name}"{copying}')
    try:
        yield f"{postgres_admin_url.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User and system CPU seconds a process (or one of its threads) has used so far (Linux)."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat")
    fields = stat.read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


QUIET_SECONDS = 1.0
QUIET_SHARE = 0.05  # of a core: an idle node uses 1-2 % (its worker's passes), in 10 ms ticks
SETTLE_LIMIT = 15.0


def settled(pid: int) -> None:
    """Wait until process `pid` is quiet, or SETTLE_LIMIT has passed (said on stderr): a
    node just started works on for about a second after its first answer (~70 ms of CPU:
    its worker's first pass), and the first searches timed then had a p99 of 17-27 ms where
    the same searches timed later had 11-15 ms. (Quiet as under 2 % of a core, an idle
    node on PostgreSQL on a loaded CI machine never was, and the benchmark failed.)"""
    deadline = time.monotonic() + SETTLE_LIMIT
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(QUIET_SECONDS)
        if cpu_seconds(pid) - before < QUIET_SECONDS * QUIET_SHARE:
            return
    print(f"process {pid} was still busy after {SETTLE_LIMIT:.0f} s: timed anyway", file=sys.stderr)
