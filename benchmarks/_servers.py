"""What the benchmarks share: a bare Starlette server to compare with, a sink standing for
remote servers, and scratch databases."""

from __future__ import annotations

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
