"""Benchmarks of timelines and streaming at a tiny size."""

from __future__ import annotations

import pytest

from tests.benchmarks.tiny import MS, run, shows

pytestmark = pytest.mark.processes


def test_home_timeline() -> None:
    # SQLite only: the PostgreSQL loader it shares is run by test_directory_search.
    output = run("home_timeline.py", "--posts", "2000", "--requests", "3", "--probes", "1")
    shows(
        output.split("SQLite:", 1)[1],
        rf"GET home newest page: p50 {MS}, p99 {MS}",
        rf"GET home page 6 months back \(max_id\): p50 {MS}",
        rf"in process, newest page: timeline query {MS} \(\d+ statements\), "
        rf"rendering 20 statuses {MS}",
        r"plan: ",
        rf"a full garbage collection in a process holding the app: {MS}; "
        rf"after settle_heap \(gc.freeze\): {MS}",
    )


def test_list_timeline() -> None:
    output = run("list_timeline.py", "--posts", "2000", "--runs", "2")
    shows(
        output,
        rf"list, newest page: \d+ posts, p50 {MS}, p99 {MS}",
        rf"home \(list exclusive\), 6 months back: \d+ posts, p50 {MS}",
    )


def test_streaming() -> None:
    output = run("streaming.py", "--connections", "6", "--members", "3", "--posts", "2")
    shows(
        output,
        rf"streaming on sqlite, one stream \(baseline\): latency p50 {MS}, p99 {MS}",
        rf"streaming on sqlite, 6 streams \(3 members x 2\): latency p50 {MS} = [\d.]+x, "
        rf"p99 {MS} = [\d.]+x baseline; 12/12 updates arrived",
        r"node RSS: idle [\d.]+ MiB, one stream [\d.]+ MiB, 6 streams [\d.]+ MiB",
    )
