"""The bulk-loaded timeline databases, kept between runs: building 1,000,000 posts takes
minutes, and every run then times a fresh copy of the kept one.

SQLite files are kept in benchmarks/.cache, PostgreSQL databases on the server (named
`harbour_bench_home_<key>_<posts>`); the key is a digest of the migrations and the loader, so a
changed schema or loader builds anew (and drops the other keys' databases). `clear_cache`
removes them all.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from benchmarks._servers import scratch_database
from benchmarks._timeline_data import Shape, build

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
PG_CACHE = "harbour_bench_home_"  # kept PostgreSQL databases: this, the schema key, the size


def schema_key() -> str:
    """A digest of every migration and of the loader, so a cached database is rebuilt when
    the schema or what is loaded changes."""
    digest = hashlib.sha256()
    loader = ROOT / "benchmarks" / "_timeline_data.py"
    for path in [*sorted((ROOT / "node" / "migrations" / "versions").glob("*.py")), loader]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def database(workdir: Path, postgres: str | None, shape: Shape, rebuild: bool) -> Iterator[str]:
    """A filled database: a copy of the kept SQLite file, or a new copy of the kept PostgreSQL
    database, dropped afterwards."""
    if postgres is not None:
        template = postgres_template(postgres, shape, rebuild)
        with scratch_database(workdir, postgres, template) as url:
            yield url
        return
    cached = CACHE / f"home_timeline-{schema_key()}-{shape.posts}.db"
    if rebuild or not cached.exists():
        CACHE.mkdir(exist_ok=True)
        for stale in CACHE.glob("home_timeline-*"):  # one schema at a time, any sizes
            if not stale.name.startswith(f"home_timeline-{schema_key()}-"):
                stale.unlink()
        partial = cached.with_suffix(f".{os.getpid()}.partial")  # two runs may build at once
        started = time.perf_counter()
        build(f"sqlite:///{partial}", shape)
        partial.rename(cached)
        print(f"  built SQLite database in {time.perf_counter() - started:.0f} s -> {cached}")
    copy = workdir / "timeline.db"
    shutil.copyfile(cached, copy)
    yield f"sqlite:///{copy}"


def postgres_template(admin_url: str, shape: Shape, rebuild: bool) -> str:
    """The name of a kept PostgreSQL database of this schema and size, built if missing: each
    run times a new copy of it (CREATE DATABASE ... TEMPLATE), as the SQLite file is copied."""
    prefix = f"{PG_CACHE}{schema_key()}_"
    name, partial = f"{prefix}{shape.posts}", f"{prefix}{shape.posts}_partial"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        for stale in kept_databases(connection):  # one schema at a time, any sizes
            if not stale.startswith(prefix) or stale == partial or (rebuild and stale == name):
                connection.execute(f'DROP DATABASE "{stale}" WITH (FORCE)')
            elif stale == name:
                return name
        connection.execute(f'CREATE DATABASE "{partial}"')
    started = time.perf_counter()
    build(f"{admin_url.rpartition('/')[0]}/{partial}", shape)
    with psycopg.connect(f"{admin_url.rpartition('/')[0]}/{partial}", autocommit=True) as built:
        built.execute("ANALYZE")  # the feeds too, built after the loader's VACUUM ANALYZE
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
    print(f"  built PostgreSQL database in {time.perf_counter() - started:.0f} s -> {name}")
    return name


def kept_databases(connection: psycopg.Connection[Any]) -> list[str]:
    """The PostgreSQL databases this benchmark keeps between runs."""
    query = "SELECT datname FROM pg_database WHERE starts_with(datname, %s)"
    return [row[0] for row in connection.execute(query, (PG_CACHE,))]


def clear_cache(admin_url: str | None) -> None:
    """Drop every kept database: the SQLite files and, given its URL, PostgreSQL's."""
    for path in CACHE.glob("home_timeline-*"):
        path.unlink()
    if admin_url is not None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            for name in kept_databases(connection):
                connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
