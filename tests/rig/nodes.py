"""Real `harbour` processes on loopback ports, each with its own database and data folder."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts
from content.users import Role, add_user
from node import cli
from node.database import create_engine, create_sessionmaker
from tests.rig import strict
from tests.rig.keys import node_keypair, node_keypairs_file
from tests.rig.strict import job_failures, log_failures, open_jobs
from tests.rig.zygote import ForkedProcess, Zygote

HARBOUR = Path(sys.executable).with_name("harbour")
T = TypeVar("T")
# Every node launched and not yet checked for failures (see `NodeProcess.new_failures`).
LAUNCHED: list[NodeProcess] = []
# The suite's nodes set up quickly (tests/conftest.py turns this on): their first accounts'
# keys come ready-made (HARBOUR_TEST_KEYPAIRS) and passwords are hashed at the suite's own
# argon2 cost (HARBOUR_TEST_QUICK_PASSWORDS). The benchmarks start nodes as in use.
QUICK_SET_UP = False
# The suite's nodes are forked from a process that has imported Harbour (tests/rig/zygote.py;
# tests/conftest.py turns this on): most of a start's CPU was importing it. The benchmarks
# start `harbour` itself, whose start-up they measure.
FORKED_STARTS = False
ZYGOTE = Zygote()


def loopback_client(**options: Any) -> httpx.Client:
    """An httpx client for plain HTTP on loopback. It loads no certificate store, which
    httpx otherwise does for every client (~24 ms of CPU: the test processes' largest cost
    when polls made a client each)."""
    return httpx.Client(verify=False, **options)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, from this test worker's
    own slice of the ports below the kernel's ephemeral range. A port the kernel hands out
    (bind to port 0) can be handed out again, to another worker's node or to any outgoing
    connection, before the node that was meant to have it binds it: CI failed once on
    exactly that ("address already in use")."""
    for _ in range(len(_PORTS)):
        port = next(_NEXT_PORT)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # something else on the machine listens there
        return port
    raise RuntimeError(f"no free port in {_PORTS}")


def worker_ports(worker: int, workers: int) -> range:
    """The ports of test worker `worker` (0-based) of `workers`: disjoint slices of the
    range from 10000 up to the start of the kernel's ephemeral ports, which outgoing
    connections take theirs from."""
    try:
        ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768
    size = (max(ephemeral, 12000) - 10000) // workers
    return range(10000 + worker * size, 10000 + (worker + 1) * size)


_PORTS = worker_ports(
    int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")),
    int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")),
)
# A random start, so that two benchmark runs at once (each worker 0 of 1) rarely meet.
_NEXT_PORT = itertools.islice(itertools.cycle(_PORTS), secrets.randbelow(len(_PORTS)), None)


@dataclass
class NodeProcess:
    """A running `harbour serve` (or another long-running `command`); its output is kept in
    `log_path`."""

    port: int
    data_dir: Path
    database_url: str
    process: subprocess.Popen[bytes] | ForkedProcess | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    name: str = "127.0.0.1"  # a name other than an address needs HARBOUR_DEV_HOSTS
    command: tuple[str, ...] = ("serve",)
    _log_read: int = 0
    _jobs_seen: set[tuple[str, int, str]] = field(default_factory=set)
    _pending: list[str] = field(default_factory=list)
    _keypairs: str = ""

    @property
    def domain(self) -> str:
        return f"{self.name}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "serve.log"

    def env(self) -> dict[str, str]:
        quick = {}
        if QUICK_SET_UP:
            if not self._keypairs:
                self._keypairs = str(node_keypairs_file())
            quick = {
                "HARBOUR_TEST_KEYPAIRS": self._keypairs,
                "HARBOUR_TEST_QUICK_PASSWORDS": "true",
            }
        return {
            # The test switches (HARBOUR_TEST_*) pass through to every node.
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith("HARBOUR_") or k.startswith("HARBOUR_TEST_")
            },
            "HARBOUR_DOMAIN": self.domain,
            "HARBOUR_DEVELOPMENT": "true",
            "HARBOUR_DATA_DIR": str(self.data_dir),
            "HARBOUR_DATABASE_URL": self.database_url,
            "HARBOUR_LISTEN_PORT": str(self.port),
            # Nodes in a test meet as long-known peers; the quarantine tests set days.
            "HARBOUR_QUARANTINE_DAYS": "0",
            **quick,  # a test may turn these off in `extra_env` with ""
            **self.extra_env,
        }

    def run(self, *args: str, process: bool = False) -> subprocess.CompletedProcess[str]:
        """Run another `harbour` command against this node's settings: in this process (its
        environment, output and exit status as in its own, without a second of interpreter
        start), or as a process of its own when `process`."""
        if process:
            return subprocess.run(
                [str(HARBOUR), *args], env=self.env(), capture_output=True, text=True, timeout=120
            )
        out, err = io.StringIO(), io.StringIO()
        with ThreadPoolExecutor(1) as pool:  # a thread without an event loop of its own
            status = pool.submit(_main, list(args), self.env(), out, err).result()
        return subprocess.CompletedProcess(
            ["harbour", *args], status, out.getvalue(), err.getvalue()
        )

    def start(self, timeout: float = 60.0) -> float:
        """Start serving; return the seconds until the first request was answered."""
        started = time.perf_counter()
        self.launch()
        self.wait_until_serving(started + timeout)
        return time.perf_counter() - started

    def launch(self) -> None:
        """Start `harbour serve` without waiting for it (to start several nodes at once)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args, env = list(self.command), self.env()
        self.log_path.touch()  # there at once, as with Popen: the forked child opens it later
        self.process = ZYGOTE.start(HARBOUR, args, env, self.log_path) if FORKED_STARTS else None
        if self.process is None:
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [str(HARBOUR), *args], env=env, stdout=log, stderr=subprocess.STDOUT
                )
        if self not in LAUNCHED:
            LAUNCHED.append(self)

    def wait_until_serving(self, deadline: float) -> None:
        """Wait until the launched node answers, failing (and stopping it) at `deadline`, a
        `time.perf_counter()` value."""
        assert self.process is not None, "launch() first"
        with self.client() as http:
            while time.perf_counter() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"harbour serve exited:\n{self.log_path.read_text()}")
                try:
                    http.get("/.well-known/nodeinfo", timeout=1.0)
                    return
                except httpx.TransportError:
                    time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"harbour serve did not answer:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        """Stop the process as an operator would (SIGTERM), killing it if it hangs; what
        failed since the last check is kept for `new_failures` (the database may go next)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._pending += self._collect()

    def new_failures(self) -> list[str]:
        """WARNING, ERROR and Traceback lines of serve.log and failed inbox items and
        deliveries in the node's database, since the last call."""
        found, self._pending = [*self._pending, *self._collect()], []
        return found

    def _collect(self) -> list[str]:
        if not self.log_path.exists():
            return []
        with self.log_path.open() as log:
            log.seek(self._log_read)
            lines = log.readlines()
            self._log_read = log.tell()
        found = job_failures(self.database_url, self._jobs_seen)
        return [f"{self.name}: {line}" for line in [*log_failures(lines), *found]]

    def kill(self) -> None:
        """Kill the process without warning, as a crash or power cut would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text()

    def client(self) -> httpx.Client:
        """An HTTP client that reaches this node by its name, as a browser would."""
        return loopback_client(
            base_url=f"http://127.0.0.1:{self.port}", headers={"Host": self.domain}, timeout=20
        )

    def create_member(self, username: str, *, cli: bool = False) -> str:
        """Create a member account and return its password: written straight into the
        node's database as `harbour account create` would (a second instead of one CLI
        start), or with the CLI itself when `cli`."""
        if cli:
            result = self.run("account", "create", username, process=True)
            assert result.returncode == 0, result.stderr
            return result.stdout.split("password:")[1].strip()
        password = secrets.token_urlsafe(16)

        async def create(session: AsyncSession) -> None:
            account = await accounts.create_local(
                session,
                base_url=self.base_url,
                username=username,
                keypair=node_keypair(),
            )
            add_user(session, account, password, Role.MEMBER)
            await session.commit()

        read_database(self, create)
        return password

    def app_token(self, username: str, password: str, scope: str = "read") -> str:
        """A token for `username` by the password grant, as a client app gets one."""
        with self.client() as http:
            app = http.post(
                "/api/v1/apps",
                data={
                    "client_name": "tests",
                    "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                    "scopes": scope,
                },
            ).json()
            token = http.post(
                "/oauth/token",
                data={
                    "grant_type": "password",
                    "client_id": app["client_id"],
                    "client_secret": app["client_secret"],
                    "username": username,
                    "password": password,
                    "scope": scope,
                },
            )
            token.raise_for_status()
            return str(token.json()["access_token"])

    def sign_in(self, username: str, password: str) -> httpx.Client:
        """A client signed in as `username` through the login form."""
        http = self.client()
        response = http.post("/login", data={"username": username, "password": password})
        assert response.status_code == 303, response.text
        return http


@dataclass
class Replica(NodeProcess):
    """Another process of a node on its database (PostgreSQL) and data folder: its own port
    (a worker's only names its log), the node's public name at `public_port`."""

    public_port: int = 0

    @property
    def domain(self) -> str:
        return f"{self.name}:{self.public_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.command[0]}-{self.port}.log"


def _main(args: list[str], env: dict[str, str], out: io.StringIO, err: io.StringIO) -> int:
    """`harbour *args` in this process, with `env` as its environment; the exit status."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            cli.main(args)
        return 0
    except SystemExit as end:
        return end.code if isinstance(end.code, int) else 1
    finally:
        os.environ.clear()
        os.environ.update(saved)


def read_database(node: NodeProcess, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """What `query` reads from a node's database, in a session of its own (the node may run);
    a query that writes commits itself."""

    async def run() -> T:
        engine = create_engine(node.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await query(session)
        finally:
            await engine.dispose()

    # In a thread of its own: a Playwright test already runs an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Poll until `predicate()` is true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def settle(*nodes: NodeProcess, timeout: float = 60.0) -> None:
    """Wait until no node has an inbox item or delivery left to run, twice in a row (one
    node's work may queue more on another): the barrier before asserting that something did
    not arrive (never a fixed sleep)."""
    quiet: list[bool] = []

    def all_quiet() -> bool:
        quiet.append(all(open_jobs(node.database_url) == 0 for node in nodes))
        return quiet[-2:] == [True, True]

    wait_for(all_quiet, timeout, what="every node's inbox items and deliveries to end")


def delivery_states(node: NodeProcess, host: str) -> dict[str, int]:
    """How many of the node's deliveries to `host` (name:port) are in each state."""
    return strict.delivery_states(node.database_url, host)


def open_node(database_url: str, data_dir: Path, member: str, **settings: str) -> NodeProcess:
    """A started node that federates openly, with one member: what an inbox attack needs.
    `settings` are more `HARBOUR_*` variables. Stop it when done."""
    node = NodeProcess(port=free_port(), data_dir=data_dir, database_url=database_url)
    node.extra_env.update(HARBOUR_FEDERATION_MODE="open", **settings)
    node.start()
    node.create_member(member)
    return node
