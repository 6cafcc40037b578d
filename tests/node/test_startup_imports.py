"""A start on an up-to-date database loads only what serving needs: the app made, its
start-up (lifespan: the worker, the streams) run and a first request answered, none of the
libraries only some requests or commands use is imported, no interface catalogue is compiled
and the country name index (CLDR's names, ~20 MiB) is not built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from node.database import alembic_config, applied_revisions, head_revisions, migrate

LAZY = (
    "alembic",
    "mako",
    "httpsig",
    "pkg_resources",
    "Crypto",
    "PIL.Image",
    "markdown_it",
    "pyrage",
    "node.backup_commands",
    "node.database_commands",
    "psycopg",  # on SQLite: PostgreSQL's driver is ~20 MiB of resident memory
    "icalendar",  # the calendar's files only
    "langcodes",  # language names and tags: pages and activities that carry them
    "language_data",  # CLDR's names of everything in every language (~16 MiB)
    "babel.messages.pofile",  # the catalogues, each compiled when a reader needs it
    "cryptography",  # ~7 MiB (its Rust module, its OpenSSL): the first signature or seal
    "http_message_signatures",  # the first RFC 9421 request
    "http_sf",
    "http_ece",  # the first Web Push message
    "py_vapid",
    "nh3",  # the first remote HTML
    "aiohttp",  # the first delivery
    "sqlalchemy.dialects.postgresql",  # on SQLite: ~2 MiB, all its drivers' modules
    "jinja2",  # the first page
    "node.web.settings_pages",  # pages and Mastodon API endpoints: the first request to them
    "node.web.admin_pages",
    "node.api.mastodon.statuses",
)


def test_the_heads_read_from_the_migration_files_are_alembics() -> None:
    assert head_revisions() == set(
        ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    )


def test_a_served_node_on_an_up_to_date_database_has_not_imported_the_lazy_libraries(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/node.db"
    migrate(url)
    assert applied_revisions(url) == head_revisions()
    script = f"""
import asyncio, sys
import httpx
import node.cli
from node.app import create_app
from node.commands import settle_heap
from node.database import migrate
from node.settings import Settings
migrate({url!r})
settings = Settings.load({{"HARBOUR_DOMAIN": "n.example", "HARBOUR_DATABASE_URL": {url!r},
                          "HARBOUR_DATA_DIR": {str(tmp_path)!r}}}).with_secret_key()

async def serve_one():
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        settle_heap()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n.example") as client:
            answer = await client.get("/.well-known/nodeinfo")
            assert answer.status_code == 200, answer.status_code
        print(" ".join(m for m in {LAZY!r} if m in sys.modules))

asyncio.run(serve_one())
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_app_loads_a_database_dialect_and_driver_only_when_an_engine_is_made() -> None:
    """A node on PostgreSQL never loads SQLite's (aiosqlite, sqlite3), one on SQLite never
    PostgreSQL's (~2 MiB with all its drivers' modules): the models name neither."""
    script = """
import sys
import node.cli, node.app
found = lambda: [m for m in ("sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.postgresql",
                             "aiosqlite", "sqlite3", "psycopg") if m in sys.modules]
print(" ".join(found()))
from node.database import create_engine
create_engine("postgresql://nobody@127.0.0.1:1/none")
print(" ".join(found()))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["", "sqlalchemy.dialects.postgresql psycopg"]
