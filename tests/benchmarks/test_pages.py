"""Benchmarks of pages and start-up at a tiny size: the directory, translated pages,
sign-in and a node's start."""

from __future__ import annotations

import pytest

from tests.benchmarks.tiny import MS, run, shows
from tests.rig.databases import POSTGRES_URL, PostgresDatabases

pytestmark = pytest.mark.processes


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


def test_startup() -> None:
    output = run("startup.py", "--runs", "1")
    shows(
        output,
        rf"bare Starlette\+uvicorn: first answer {MS} \(CPU {MS}\), idle RSS [\d.]+ MiB "
        r"= [\d.]+ MB",
        rf"the same app importing sqlalchemy.orm, .* first: first answer {MS} = [\d.]+x bare",
        rf"harbour serve on sqlite: first start {MS} .*restart {MS} = [\d.]+x bare "
        rf"\(CPU {MS} = [\d.]+x bare; goal < 2x\); idle RSS [\d.]+ MiB = [\d.]+ MB .*"
        r"\(goal < 80 MB: (met|NOT met)\)",
    )


def test_idle_cpu() -> None:
    tiny = ("--runs", "1", "--settle", "1", "--window", "1")
    output = run("idle_cpu.py", *tiny, "--sqlite", "--postgres", POSTGRES_URL)
    for backend in ("sqlite", "postgresql"):
        shows(output, rf"idle harbour serve on {backend}: [\d.]+ ms of CPU per second")
