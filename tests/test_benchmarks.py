"""Every benchmark in benchmarks/ runs at a tiny size and prints its figures, so none of them
can break unnoticed. Each runs as a user runs it: a script in a process of its own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rig.databases import POSTGRES_URL, PostgresDatabases

pytestmark = pytest.mark.processes
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
MS = r"[\d.]+ ms"


def run(script: str, *args: str) -> str:
    """The script's output; it must exit 0."""
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCHMARKS.parent,
    )
    assert result.returncode == 0, f"{script} exited {result.returncode}:\n{result.stderr}"
    return result.stdout


def shows(output: str, *patterns: str) -> None:
    for pattern in patterns:
        assert re.search(pattern, output), f"no line matching {pattern!r} in:\n{output}"


def test_startup() -> None:
    output = run("startup.py", "--runs", "1")
    shows(
        output,
        rf"bare Starlette\+uvicorn: first answer {MS}, idle RSS [\d.]+ MiB",
        rf"harbour serve on sqlite: first start {MS} .*restart {MS} = [\d.]+x bare; "
        r"idle RSS [\d.]+ MiB",
    )


def test_inbox() -> None:
    output = run("inbox.py", "--activities", "20", "--concurrency", "2")
    shows(
        output,
        r"bare Starlette endpoint: \d+ requests/s",
        r"harbour inbox accepted \(verified, stored\): \d+/s .*; (\d+)/\1 got 202",
        r"harbour accepted and applied \(posts stored\): \d+/s end to end; 20 applied, 20 posts",
    )


def test_fanout() -> None:
    output = run("fanout.py", "--followers", "20", "--servers", "5")
    shows(
        output,
        r"20 followers on 5 servers -> 5 deliveries",
        r"raw RSA-2048 signing: \d+ signatures/s",
        r"all 5/5 delivered in [\d.]+ s",
        r"fan-out: \d+ deliveries/s",
    )


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
    )


def test_directory_search(postgresql_databases: PostgresDatabases) -> None:
    tiny = ("--listings", "200", "--requests", "3", "--probes", "1")
    output = run("directory_search.py", *tiny, "--postgres", POSTGRES_URL)
    for backend in ("SQLite", "PostgreSQL"):
        section = output.split(f"{backend}:", 1)[1]
        shows(
            section,
            rf"GET /directory no filter: p50 {MS}, p99 {MS}",
            rf"GET /directory country\+category\+language\+words \(rare\): p50 {MS}",
            rf"in process, search no filter: {MS} \(20 rows\)",
        )


def test_signatures_rfc9421() -> None:
    output = run("signatures_rfc9421.py", "--count", "5", "--rounds", "1")
    shows(
        output,
        r"raw RSA-2048 PKCS#1 v1.5 verify: \d+/s",
        r"RFC 9421 verify: \d+/s = [\d.]+x raw",
        r"draft-cavage verify: \d+/s = [\d.]+x raw",
    )
