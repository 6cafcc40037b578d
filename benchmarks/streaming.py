"""Streaming: how long a post takes to reach 1,000 open streams, and what they cost in memory.

Run: .venv/bin/python benchmarks/streaming.py [--connections 1000] [--members 100]
                                             [--posts 20] [--postgres URL]

A real `harbour serve` on loopback (SQLite, or a scratch PostgreSQL database). `--members`
readers follow one poster; each opens `--connections / --members` server-sent-event `user`
streams (the per-token cap is 16). The poster then writes `--posts` posts through the client
API, one at a time, and every stream's arrival time of each is taken: latency from the POST
being sent to each stream's `update` event, median and p99 over every (post, stream). The
baseline, in the same run, is the same with one stream open. The node's RSS is read idle,
with one stream, and with every stream open.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._servers import scratch_database  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402


def rss_mib(pid: int) -> float:
    """The resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def listen(
    base: str, token: str, arrived: dict[str, list[float]], opened: asyncio.Event
) -> None:
    """One stream: note when each post's update arrives (by its text)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=base, timeout=None) as client,
        client.stream("GET", "/api/v1/streaming/user", headers=headers) as response,
    ):
        async for line in response.aiter_lines():
            if line == ":)":
                opened.set()
            elif line.startswith("data: ") and "bench post " in line:
                number = line.split("bench post ", 1)[1].split("<", 1)[0]
                arrived.setdefault(number, []).append(time.perf_counter())


async def run_streams(
    node: NodeProcess, tokens: list[str], per_member: int, poster: str, posts: int, label: str
) -> tuple[list[float], int, float]:
    """Open the streams, post, and return (latencies in ms, deliveries, RSS with them open)."""
    base = f"http://127.0.0.1:{node.port}"
    arrived: dict[str, list[float]] = {}
    opened = [asyncio.Event() for _ in range(len(tokens) * per_member)]
    tasks = [
        asyncio.create_task(listen(base, token, arrived, opened[i * per_member + j]))
        for i, token in enumerate(tokens)
        for j in range(per_member)
    ]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), 120)
    await asyncio.sleep(0.5)
    assert node.process is not None
    rss = rss_mib(node.process.pid)
    sent: dict[str, float] = {}
    streams = len(opened)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for number in range(posts):
            sent[str(number)] = time.perf_counter()
            answer = await client.post(
                "/api/v1/statuses",
                data={"status": f"bench post {number}"},
                headers={"Authorization": f"Bearer {poster}"},
            )
            answer.raise_for_status()
            deadline = time.perf_counter() + 60
            while len(arrived.get(str(number), [])) < streams and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [(at - sent[number]) * 1000 for number, times in arrived.items() for at in times]
    print(f"  {label}: {streams} streams, {len(latencies)}/{streams * posts} updates arrived")
    return latencies, len(latencies), rss


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--postgres", help="an admin URL: run on a scratch PostgreSQL database")
    args = parser.parse_args()
    per_member = max(1, args.connections // args.members)
    backend = "postgresql" if args.postgres else "sqlite"
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(Path(tmp), args.postgres) as database,
    ):
        node = NodeProcess(port=free_port(), data_dir=Path(tmp) / "node", database_url=database)
        node.start()
        try:
            poster_password = node.create_member("poster")
            poster = node.app_token("poster", poster_password, "read write follow")
            with httpx.Client(base_url=f"http://127.0.0.1:{node.port}", timeout=60) as http:
                auth = {"Authorization": f"Bearer {poster}"}
                http.patch("/api/v1/accounts/update_credentials", data={"locked": "false"},
                           headers=auth).raise_for_status()  # fmt: skip
                poster_id = http.get("/api/v1/accounts/verify_credentials", headers=auth).json()
                tokens = []
                for number in range(args.members):
                    name = f"reader{number}"
                    token = node.app_token(name, node.create_member(name), "read write follow")
                    follow = f"/api/v1/accounts/{poster_id['id']}/follow"
                    reader = {"Authorization": f"Bearer {token}"}
                    http.post(follow, headers=reader).raise_for_status()
                    tokens.append(token)
            time.sleep(1)
            assert node.process is not None
            idle = rss_mib(node.process.pid)
            one, _, one_rss = asyncio.run(
                run_streams(node, tokens[:1], 1, poster, args.posts, "baseline")
            )
            many, _, many_rss = asyncio.run(
                run_streams(node, tokens, per_member, poster, args.posts, "all")
            )
        finally:
            node.stop()
    streams = per_member * args.members
    base_p50, base_p99 = statistics.median(one), p99(one)
    many_p50 = statistics.median(many)
    print(
        f"streaming on {backend}, one stream (baseline): latency p50 {base_p50:.1f} ms, "
        f"p99 {base_p99:.1f} ms"
    )
    print(
        f"streaming on {backend}, {streams} streams ({args.members} members x {per_member}): "
        f"latency p50 {many_p50:.1f} ms = {many_p50 / base_p50:.1f}x, "
        f"p99 {p99(many):.1f} ms = {p99(many) / base_p99:.1f}x baseline; "
        f"{len(many)}/{streams * args.posts} updates arrived"
    )
    print(
        f"node RSS: idle {idle:.1f} MiB, one stream {one_rss:.1f} MiB, {streams} streams "
        f"{many_rss:.1f} MiB (+{(many_rss - idle) * 1024 / streams:.0f} KiB per stream)"
    )


if __name__ == "__main__":
    main()
