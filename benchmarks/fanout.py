"""Delivery fan-out: one post to 10,000 followers on 1,000 servers, through a real node,
signed RFC 9421 and signed draft-cavage.

Run: .venv/bin/python benchmarks/fanout.py [--followers 10000] [--servers 1000] [--rounds 3]
     [--postgres URL]

The followers live on 1,000 distinct host names (HARBOUR_DEV_HOSTS points them all at one
local sink that answers 202), ten per server, so a post goes to 1,000 shared inboxes. The
clock runs from the member's post to the last delivery finished. Two nodes, each with its
own database and the same followers, post in turns (`--rounds` posts each): one signs RFC
9421 as it does by default, one draft-cavage, as it does for a host remembered as refusing
RFC 9421 (HARBOUR_TEST_CAVAGE_ONLY makes every host such a host, with no refused first
knock). The sink counts how each delivery was signed, and a run stops if one arrives
otherwise. The baseline is raw RSA-2048 PKCS#1 v1.5 signing with the same library,
measured in the same run: every delivery is signed at send time, so signing bounds the rate.
On a machine shared with other work the rates follow what the scheduler grants; the CPU time
the node spends per delivery (its process's user and system time, all threads, and its
signing process's, also shown apart) beside the
CPU time of one raw signature is the figure that does not. Beside the rates it prints how
much of a core the raw baseline got, how many cores the node used, and how long the node's
threads waited for a CPU while runnable (schedstat): a rate ratio is read with those. It
splits each fan-out's time by the sink's arrival times (from the post to the first, from the
first to the last, from the last to every outcome written), and prints its own CPU beside
the node's: it shares the cores, and its looks at the sink, each through a new HTTP client
until 2026-12-07 (~24 ms of CPU to load a certificate store, every 10 ms), took 0.42-0.44
CPU-ms a delivery, more than the node's event loop, and held the ratio at 0.42-0.49x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import Engine, create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._servers import cpu_seconds, scratch_database, sink_server  # noqa: E402
from content.accounts import Account  # noqa: E402
from content.orm import new_id, utcnow  # noqa: E402
from content.relationships import Follow, FollowState  # noqa: E402
from federation.delivery import Delivery  # noqa: E402
from federation.jobs import OPEN_STATES  # noqa: E402
from node.database import driver_url  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port, loopback_client  # noqa: E402

STYLES = {"RFC 9421": {}, "draft-cavage": {"HARBOUR_TEST_CAVAGE_ONLY": "true"}}
KINDS = {"RFC 9421": "rfc9421", "draft-cavage": "draft-cavage"}  # as the sink counts them

PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u
+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh
kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ
0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg
cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc
mwIDAQAB
-----END PUBLIC KEY-----
"""


def raw_signing_rate(seconds: float = 2.0) -> tuple[float, float]:
    """RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second of a short message, and the share
    of a core the scheduler gave them (CPU time over wall time: 1.0 on an idle core)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = b"(request-target): post /inbox\nhost: sink.bench\ndate: now\ndigest: SHA-256=x"
    count = 0
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        count += 1
    wall = time.perf_counter() - started
    return count / wall, (time.process_time() - cpu) / wall


def raw_signing_cpu_ms(count: int = 300) -> float:
    """CPU milliseconds of one RSA-2048 PKCS#1 v1.5 SHA-256 signature of a short message."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = b"(request-target): post /inbox\nhost: sink.bench\ndate: now\ndigest: SHA-256=x"
    started = time.process_time()
    for _ in range(count):
        key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return (time.process_time() - started) * 1000 / count


def children_of(pid: int) -> list[int]:
    """The processes `pid` started that still run (its signing process: Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def children_cpu(pid: int) -> float:
    """CPU seconds `pid`'s running children (the node's signing process) have used so far."""
    total = 0.0
    for child in children_of(pid):
        with suppress(OSError):  # one that ended meanwhile
            total += cpu_seconds(child)
    return total


def cpu_waited(pid: int) -> float:
    """Seconds the process's threads have spent runnable but waiting for a CPU so far, all
    threads together (Linux schedstat): time the machine, not the node, made them lose."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):  # a thread that ended meanwhile
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def add_followers(engine: Engine, author_username: str, hosts: list[str], per_host: int) -> None:
    """`per_host` accepted followers of the author on each of `hosts`."""
    now = utcnow()
    with engine.begin() as connection:
        author_id = connection.scalar(
            select(Account.id).where(Account.username == author_username, Account.domain.is_(None))
        )
        accounts, follows = [], []
        for host in hosts:
            for number in range(per_host):
                uri = f"http://{host}/users/f{number}"
                account_id = new_id()
                accounts.append(
                    {
                        "id": account_id,
                        "username": f"f{number}",
                        "domain": host,
                        "actor_type": "Person",
                        "display_name": "",
                        "summary_html": "",
                        "uri": uri,
                        "url": uri,
                        "inbox_uri": f"{uri}/inbox",
                        "outbox_uri": None,
                        "shared_inbox_uri": f"http://{host}/inbox",
                        "key_id": f"{uri}#main-key",
                        "public_key_pem": PUBLIC_PEM,
                        "manually_approves_followers": False,
                        "discoverable": False,
                        "created_at": now,
                        "fetched_at": now,
                    }
                )
                follows.append(
                    {
                        "id": new_id(),
                        "follower_id": account_id,
                        "followed_id": author_id,
                        "state": FollowState.ACCEPTED,
                        "uri": f"{uri}#follow",
                        "created_at": now,
                    }
                )
        connection.execute(insert(Account), accounts)
        connection.execute(insert(Follow), follows)
    if engine.dialect.name == "postgresql":
        # As autovacuum would within its minute: a table analyzed as empty made the
        # followers' inboxes a nested loop over all of them, 200-300 ms of every post of
        # the run (not 2-3 ms), which a node that has had its followers for a minute never
        # sees. SQLite is left as the node leaves it (it never runs ANALYZE).
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def deliveries(engine: Engine) -> dict[str, int]:
    """The node's deliveries by state (queued, retry, delivered, failed...)."""
    with engine.connect() as connection:
        rows = connection.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return {str(state): int(count) for state, count in rows}


def arrivals_at_sink(sink: httpx.Client) -> list[float]:
    """When each POST so far reached the sink (`time.monotonic()`, the same clock here)."""
    return list(sink.get("/arrivals").json())


def signed_at_sink(sink: httpx.Client) -> Counter[str]:
    """How the sink's POSTs so far were signed: rfc9421, draft-cavage or unsigned. (Asked
    through one client kept open: a client made for each look, every 10 ms, loaded a
    certificate store each time, ~24 ms of CPU, and took most of a core from the node.)"""
    return Counter(sink.get("/signed").json())


@dataclass
class Run:
    """One node, its own database and member, signing every delivery as `style`."""

    style: str
    node: NodeProcess
    engine: Engine
    member: httpx.Client | None = None
    seconds: list[float] = field(default_factory=list)  # one fan-out each
    queued: list[float] = field(default_factory=list)  # the post's answer, deliveries queued
    cpu: list[float] = field(default_factory=list)  # the node's CPU seconds per fan-out
    signer_cpu: list[float] = field(default_factory=list)  # its signing process's (in `cpu`)
    loop_cpu: list[float] = field(default_factory=list)  # its event loop's (main thread)
    waited: list[float] = field(default_factory=list)  # its threads' seconds waiting for a CPU
    sink_cpu: list[float] = field(default_factory=list)  # the sink's, the same fan-outs
    lead: list[float] = field(default_factory=list)  # from the post to the first arrival
    span: list[float] = field(default_factory=list)  # from the first arrival to the last
    tail: list[float] = field(default_factory=list)  # from the last to every outcome written
    looking: list[float] = field(default_factory=list)  # this process's CPU seconds meanwhile

    def fan_out(self, text: str, inboxes: int, sink: httpx.Client, sink_pid: int) -> None:
        """Post `text` and wait until all `inboxes` deliveries are done; each must reach the
        sink signed `style`, or the run stops (a run signed otherwise measures nothing)."""
        assert self.member is not None
        before = signed_at_sink(sink)
        arrived_before = sum(before.values())  # the sink keeps one arrival time a POST
        finished_before = sum(deliveries(self.engine).values())
        assert self.node.process is not None
        pid = self.node.process.pid
        cpu_before, loop_before = cpu_seconds(pid), cpu_seconds(pid, pid)
        signer_before = children_cpu(pid)  # 0 before the first signed request starts it
        waited_before = cpu_waited(pid)
        sink_before = cpu_seconds(sink_pid)
        started, started_at, own = time.perf_counter(), time.monotonic(), time.process_time()
        response = self.member.post("/compose", data={"text": text, "visibility": "public"})
        assert response.status_code == 303, response.text
        self.queued.append(time.perf_counter() - started)
        # Every 10 ms (every 100 ms added ~50 ms, 10 %, to a 0.5 s fan-out): first the sink's
        # count (cheap), then the node's database until every outcome is written.
        arriving = True
        while time.perf_counter() - started < 900:
            if arriving:
                arrived_now = sum((signed_at_sink(sink) - before).values())
                arriving = arrived_now < inboxes and time.perf_counter() - started < 60
            else:
                states = deliveries(self.engine)
                total = sum(states.values())
                if total >= finished_before + inboxes and not any(
                    states.get(s) for s in OPEN_STATES
                ):
                    break
            time.sleep(0.01)
        self.seconds.append(time.perf_counter() - started)
        finished_at = time.monotonic()
        self.looking.append(time.process_time() - own)
        times = arrivals_at_sink(sink)[arrived_before:]
        self.lead.append(times[0] - started_at)
        self.span.append(times[-1] - times[0])
        self.tail.append(finished_at - times[-1])
        self.signer_cpu.append(children_cpu(pid) - signer_before)
        self.cpu.append(cpu_seconds(pid) - cpu_before + self.signer_cpu[-1])
        self.loop_cpu.append(cpu_seconds(pid, pid) - loop_before)
        self.waited.append(cpu_waited(pid) - waited_before)
        self.sink_cpu.append(cpu_seconds(sink_pid) - sink_before)
        arrived = signed_at_sink(sink) - before
        if arrived != Counter({KINDS[self.style]: inboxes}):
            sys.exit(f"{self.style}: {inboxes} deliveries expected, the sink got {dict(arrived)}")


def rate_while(deliveries: int, milliseconds: float) -> str:
    """The arrivals' rate between the first and the last of `deliveries`."""
    if deliveries < 2 or milliseconds <= 0:
        return "all at once"
    return f"{(deliveries - 1) / milliseconds * 1000:.0f}/s meanwhile"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3, help="posts per signature kind")
    parser.add_argument("--postgres", help="admin URL; runs on new PostgreSQL databases")
    args = parser.parse_args()
    baselines = [raw_signing_rate(1.0) for _ in range(3)]
    signing = statistics.median(rate for rate, _ in baselines)
    granted = statistics.median(share for _, share in baselines)
    signing_cpu = statistics.median(raw_signing_cpu_ms() for _ in range(3))
    sink_port = free_port()
    names = [f"sink-{number:04d}.bench" for number in range(args.servers)]
    hosts = [f"{name}:{sink_port}" for name in names]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        sink_pid = stack.enter_context(sink_server(sink_port))  # every server
        at_sink = stack.enter_context(loopback_client(base_url=f"http://127.0.0.1:{sink_port}"))
        for style, switches in STYLES.items():
            database = stack.enter_context(scratch_database(workdir, args.postgres))
            node = NodeProcess(
                port=free_port(), data_dir=workdir / KINDS[style], database_url=database
            )
            node.extra_env.update(
                HARBOUR_FEDERATION_MODE="open",
                HARBOUR_DEV_HOSTS=",".join(f"{name}=127.0.0.1" for name in names),
                **switches,
            )
            engine = create_engine(driver_url(database, asynchronous=False))
            stack.callback(engine.dispose)
            stack.callback(node.stop)
            node.launch()
            runs.append(Run(style, node, engine))
        for run in runs:
            run.node.wait_until_serving(time.perf_counter() + 120)
            password = run.node.create_member("alice")
            add_followers(run.engine, "alice", hosts, args.followers // args.servers)
            run.member = stack.enter_context(closing(run.node.sign_in("alice", password)))
        for number in range(args.rounds):  # the kinds take turns, so drift hits both alike
            for run in runs:
                run.fan_out(f"Clinic open today ({number})", args.servers, at_sink, sink_pid)
    print(
        f"backend: {'PostgreSQL' if args.postgres else 'SQLite'}; {args.followers} followers "
        f"on {args.servers} servers -> {args.servers} deliveries (one per shared inbox), "
        f"medians of {args.rounds} post(s) per signature kind"
    )
    print(
        f"raw RSA-2048 signing: {signing:.0f} signatures/s (median of 3), on "
        f"{granted:.2f} of a core (its CPU over wall time: below 1, the machine is shared)"
    )
    print(f"raw RSA-2048 signing: {signing_cpu:.2f} CPU-ms a signature (median of 3)")
    rates = {}
    for run in runs:
        elapsed = statistics.median(run.seconds)
        rates[run.style] = args.servers / elapsed
        print(
            f"{run.style}: post accepted and deliveries queued in "
            f"{statistics.median(run.queued) * 1000:.0f} ms; all {args.servers}/{args.servers} "
            f"delivered in {elapsed:.2f} s, every one signed {run.style}"
        )
        print(
            f"{run.style} fan-out: {rates[run.style]:.0f} deliveries/s "
            f"= {rates[run.style] / signing:.2f}x raw signing"
        )
        lead, span, tail = (statistics.median(t) * 1000 for t in (run.lead, run.span, run.tail))
        print(
            f"{run.style} fan-out: the first delivery arrived {lead:.0f} ms after the post, "
            f"the last {span:.0f} ms after the first ({rate_while(args.servers, span)}), "
            f"and every outcome was written {tail:.0f} ms after that (at most "
            "~10 ms late: looked at every 10 ms)"
        )
        per_delivery = statistics.median(run.cpu) * 1000 / args.servers
        print(
            f"{run.style} fan-out: {per_delivery:.2f} CPU-ms a delivery in the node "
            f"= {signing_cpu / per_delivery:.2f}x raw signing"
        )
        spans = zip(run.cpu, run.seconds, strict=True)
        cores = statistics.median(cpu / wall for cpu, wall in spans)
        print(
            f"{run.style} fan-out: the node used {cores:.2f} cores (its CPU over the fan-out's "
            "wall time; signing beside the event loop can take it above 1)"
        )
        waited = statistics.median(run.waited) * 1000 / args.servers
        print(
            f"{run.style} fan-out: the node's threads waited {waited:.2f} ms a delivery for a "
            "CPU (runnable, all threads together: the machine's share, not the node's work)"
        )
        loop = statistics.median(run.loop_cpu) * 1000 / args.servers
        print(f"{run.style} fan-out: {loop:.2f} CPU-ms a delivery in the node's event loop")
        signer = statistics.median(run.signer_cpu) * 1000 / args.servers
        print(f"{run.style} fan-out: {signer:.2f} CPU-ms a delivery in its signing process")
        # The sink stands for other machines, but takes the same cores as the node here.
        sink = statistics.median(run.sink_cpu) * 1000 / args.servers
        print(f"{run.style} fan-out: the sink took {sink:.2f} CPU-ms a delivery beside the node")
        looking = statistics.median(run.looking) * 1000 / args.servers
        print(
            f"{run.style} fan-out: this benchmark took {looking:.2f} CPU-ms a delivery beside "
            "the node (posting, and looking every 10 ms until all were delivered)"
        )
    rfc, cavage = rates["RFC 9421"], rates["draft-cavage"]
    print(f"RFC 9421 fan-out = {rfc / cavage:.2f}x draft-cavage")


if __name__ == "__main__":
    main()
