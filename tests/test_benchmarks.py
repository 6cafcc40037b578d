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
        rf"bare Starlette\+uvicorn: first answer {MS} \(CPU {MS}\), idle RSS [\d.]+ MiB",
        rf"harbour serve on sqlite: first start {MS} .*restart {MS} = [\d.]+x bare "
        rf"\(CPU {MS} = [\d.]+x bare\); idle RSS [\d.]+ MiB",
    )


def test_inbox() -> None:
    output = run("inbox.py", "--activities", "20", "--concurrency", "2")
    shows(
        output,
        r"bare Starlette endpoint: \d+ requests/s",
        r"with 0 finished inbox items kept: idle worker poll [\d.]+ ms",
        r"harbour inbox accepted \(verified, stored\): \d+/s .*; (\d+)/\1 got 202",
        r"harbour accepted and applied \(posts stored\): \d+/s = [\d.]+x bare end to end; "
        r"20 applied, 20 posts",
    )


def test_fanout() -> None:
    output = run("fanout.py", "--followers", "20", "--servers", "5", "--rounds", "1")
    shows(
        output,
        r"20 followers on 5 servers -> 5 deliveries",
        r"raw RSA-2048 signing: \d+ signatures/s",
        r"RFC 9421: .*all 5/5 delivered in [\d.]+ s, every one signed RFC 9421",
        r"RFC 9421 fan-out: \d+ deliveries/s = [\d.]+x raw signing",
        r"draft-cavage: .*all 5/5 delivered in [\d.]+ s, every one signed draft-cavage",
        r"draft-cavage fan-out: \d+ deliveries/s = [\d.]+x raw signing",
        r"RFC 9421 fan-out = [\d.]+x draft-cavage",
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
        r"raw RSA-2048 PKCS#1 v1.5 sign: \d+/s",
        r"RFC 9421 sign: \d+/s = [\d.]+x raw",
        r"draft-cavage sign: \d+/s = [\d.]+x raw",
    )


def test_integrity_proofs() -> None:
    output = run("integrity_proofs.py", "--count", "5", "--rounds", "1")
    shows(
        output,
        r"raw Ed25519 sign: \d+/s",
        r"eddsa-jcs-2022 proof made: \d+/s = [\d.]+x raw",
        r"raw Ed25519 verify: \d+/s",
        r"eddsa-jcs-2022 proof checked: \d+/s = [\d.]+x raw",
    )


def test_i18n_rendering() -> None:
    output = run("i18n_rendering.py", "--listings", "200", "--posts", "2000", "--requests", "3")
    shows(
        output,
        rf"GET /directory\?country=DE \(a directory page\): English p50 {MS}, Romanian p50 "
        rf"{MS} = [\d.]+x English",
        rf"GET /home \(the home timeline page\): English p50 {MS}, Romanian p50 {MS} = [\d.]+x",
    )


def test_login() -> None:
    output = run("login.py", "--storm", "4", "--baseline", "5")
    shows(
        output,
        r"alone: p50 [\d.]+ ms, p99 [\d.]+ ms \(5 fetches\)",
        r"during 4 concurrent wrong-password sign-ins: p50 [\d.]+ ms",
        r"the sign-ins were answered in [\d.]+ s: 4 x 401",
    )


def test_sanitise() -> None:
    # The 1 MiB worst cases are fixed by the sanitiser's bounds; only the raw table shrinks.
    output = run("sanitise.py", "--tags", "50", "--repeats", "1")
    shows(
        output,
        r"Raw, 50 tags or attributes, no bounds \(median of 1\)",
        r"1 MiB worst cases, bounded to \d+ characters",
        r"nh3 +.+ took +[\d.]+ms, longest loop stall +[\d.]+ms",
    )


def test_media_upload() -> None:
    output = run("media_upload.py", "--width", "400", "--height", "300", "--repeats", "1")
    for name in (r"phone photo \(400x300", r"small photo \(640x480"):
        shows(output, rf"{name}, [\d.]+ MiB\), median of 1:")
    shows(
        output,
        rf"decode only \(baseline\) +{MS}",
        rf"whole upload \(clean_image\) +{MS} = [\d.]+x decode",
        rf"preview \+ blurhash +{MS} = [\d.]+x decode, \d+% of the upload",
        rf"blurhash alone +{MS}",
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


def test_every_benchmark_has_a_test() -> None:
    scripts = {p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_")}
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert scripts <= tested, f"benchmarks without a tiny run here: {scripts - tested}"
