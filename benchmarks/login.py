"""Sign-in storms: a page's latency while 60 wrong-password sign-ins arrive at once.

Run: .venv/bin/python benchmarks/login.py [--storm 60] [--baseline 300] [--page /directory]

A real `harbour serve` on loopback (SQLite). A prober fetches the page one request at a time
and records each latency: first alone (the baseline), then while `--storm` threads each post
a wrong password for a random nickname to /login at the same moment. Prints the page's p50
and p99 in both phases, and how the sign-ins were answered (401 after an argon2 check, or 429
once the node-wide limit on failed sign-ins is reached).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._servers import scratch_database  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def probe(node: NodeProcess, page: str, until: threading.Event, count: int = 0) -> list[float]:
    """Latencies (ms) of the page fetched one at a time: `count` of them, or until `until`."""
    latencies: list[float] = []
    with node.client() as client:
        while (count and len(latencies) < count) or (not count and not until.is_set()):
            started = time.perf_counter()
            response = client.get(page)
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    return latencies


def storm(node: NodeProcess, size: int) -> tuple[Counter[int], float]:
    """`size` wrong-password sign-ins for random nicknames, all released at once; returns
    the answers' statuses and the seconds until the last was answered."""
    answers: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(size + 1)

    def sign_in() -> None:
        with node.client() as client:
            start.wait()
            status = client.post(
                "/login", data={"username": secrets.token_hex(6), "password": "not the password"}
            ).status_code
        with lock:
            answers[status] += 1

    threads = [threading.Thread(target=sign_in) for _ in range(size)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storm", type=int, default=60)
    parser.add_argument("--baseline", type=int, default=300, help="page fetches alone")
    parser.add_argument("--page", default="/directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp), None) as database:
        node = NodeProcess(port=free_port(), data_dir=Path(tmp) / "node", database_url=database)
        node.start()
        try:
            probe(node, args.page, threading.Event(), 20)  # warm up
            baseline = probe(node, args.page, threading.Event(), args.baseline)
            done = threading.Event()
            during: list[float] = []
            prober = threading.Thread(target=lambda: during.extend(probe(node, args.page, done)))
            prober.start()
            time.sleep(0.2)
            answers, seconds = storm(node, args.storm)
            done.set()
            prober.join()
        finally:
            node.stop()
    print(f"page {args.page} on a real harbour serve (SQLite)")
    print(
        f"alone: p50 {statistics.median(baseline):.1f} ms, p99 {percentile(baseline, 0.99):.1f} ms "
        f"({len(baseline)} fetches)"
    )
    print(
        f"during {args.storm} concurrent wrong-password sign-ins: p50 "
        f"{statistics.median(during):.1f} ms, p99 {percentile(during, 0.99):.1f} ms, "
        f"max {max(during):.1f} ms ({len(during)} fetches)"
    )
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(answers.items()))
    print(f"the sign-ins were answered in {seconds:.2f} s: {statuses}")


if __name__ == "__main__":
    main()
