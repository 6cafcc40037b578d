"""A start on an up-to-date database loads only what serving needs: the app made, its
start-up (lifespan: the worker, the streams) run and a first request answered, none of the
libraries only some requests or commands use is imported, no interface catalogue is compiled
and the country name index (CLDR's names, ~20 MiB) is not built. A restart's set-up and first
answer configure no ORM mapper either (~50 ms: the first query of a mapped class does)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from node.bootstrap import ensure_node
from node.database import (
    alembic_config,
    applied_revisions,
    create_engine,
    create_sessionmaker,
    head_revisions,
    migrate,
)
from node.settings import Settings
from tests.rig.keys import node_keypairs_file

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
    "httpx",  # the first request out (~1.3 MiB)
    "sqlalchemy.dialects.postgresql",  # on SQLite: ~2 MiB, all its drivers' modules
    "jinja2",  # the first page
    "node.web.settings_pages",  # pages and Mastodon API endpoints: the first request to them
    "node.web.admin_pages",
    "node.api.mastodon.statuses",
    "node.web.pages",  # an actor's or a post's page: the first browser asking node.api.activitypub
    "node.web.directory",
    "babel.dates",  # Babel's dates and numbers: the first page that shows one
    "babel.numbers",
    "babel.support",
    "pycountry",  # ~20 ms: the first country code checked or named
    "pyotp",  # the first two-factor set-up or sign-in
    "argon2",  # the first password hashed or checked (its cffi binding, ~0.4 MiB)
    "idna",  # the first host that is not a plain lower-case name (~0.35 MiB)
    "federation.handlers.notes",  # the inbound handlers: the first inbox item applied
    "node.streaming.render",  # the first event an open stream is told
    "node.api.mastodon.media",  # the first upload or local file (/media/...)
    "node.api.mastodon.entities",  # the first Mastodon API answer or Web Push message
    "node.moderating",  # the first report or moderation request
    "node.web.list_pages",  # the first visit to a member's list files
    "node.web.sessions",  # the first sign-in page (or /exit)
    "federation.from_wire",  # the first inbound note, thread filled in or URL looked up
    "federation.thread_backfill",  # the first thread a member opens to fill in
    "federation.lookup",  # the first pasted URL or imported bookmark
    "babel",  # CLDR's locale data: the first page, or language or country named
    "federation.published",  # what organisations publish, with its outboxes and wire forms:
    "federation.listing_wire",  # the first follow accepted, listing, event or page published
    "node.web.rendering",  # the pages' rendering (names, pictures): the first page
    "publicsuffixlist",  # the first server rule matched against a host
    "tomllib",  # a node started with a settings file only
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
    values = {"HARBOUR_DOMAIN": "n.example", "HARBOUR_DATABASE_URL": url}
    values |= {"HARBOUR_DATA_DIR": str(tmp_path), "HARBOUR_DEVELOPMENT": "true"}
    first = Settings.load({**values, "HARBOUR_TEST_KEYPAIRS": str(node_keypairs_file())})
    assert asyncio.run(_set_up(first.with_secret_key())) is not None  # the first admin
    script = f"""
import asyncio, sys
import node.cli
from content.orm import Base
from moderation import lockdown
from node import app as node_app
from node.app import create_app
from node.bootstrap import ensure_node
from node.commands import settle_heap
from node.database import create_engine, create_sessionmaker, migrate
from node.settings import Settings
migrate({url!r})
settings = Settings.load({values!r}).with_secret_key()
node_app.WORKER_START_DELAY = 60  # its first pass configures them, however slow this runs

async def set_up():
    engine = create_engine({url!r})
    assert await ensure_node(settings, create_sessionmaker(engine)) is None
    await engine.dispose()

async def get(app, path):  # a request as uvicorn passes it (an HTTP client would load httpx)
    sent = []
    async def receive():
        return {{"type": "http.request", "body": b"", "more_body": False}}
    async def send(message):
        sent.append(message)
    await app({{"type": "http", "asgi": {{"version": "3.0"}}, "http_version": "1.1",
               "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
               "query_string": b"", "root_path": "", "headers": [(b"host", b"n.example")],
               "client": ("127.0.0.1", 50000), "server": ("n.example", 80)}}, receive, send)
    return sent[0]["status"]

async def serve_one():
    await set_up()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        settle_heap()
        status = await get(app, "/.well-known/nodeinfo")
        assert status == 200, status
        print(" ".join(m for m in {LAZY!r} if m in sys.modules))
        async with app.state.services.sessions() as session:  # as the lockdown follower does
            await lockdown.is_on(session)
        print(sum(mapper.configured for mapper in Base.registry.mappers), "mappers configured")

asyncio.run(serve_one())
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["", "0 mappers configured"]


async def _set_up(settings: Settings) -> object:
    engine = create_engine(settings.database_url)
    try:
        return await ensure_node(settings, create_sessionmaker(engine))
    finally:
        await engine.dispose()


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


def test_importing_the_command_line_loads_nothing_of_harbour_or_its_libraries() -> None:
    """`harbour` turns the collector off in `cli.main()`, before the start-up imports (~250
    collections, ~0.2 s of CPU, freed almost nothing): that only holds while importing
    `node.cli` itself, which the console script does first, loads none of them."""
    heavy = ("sqlalchemy", "uvicorn", "starlette", "httpx", "activitypub", "content")
    heavy += ("federation", "moderation", "node.commands", "node.settings", "node.database")
    script = f"import sys, node.cli; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_serving_loads_the_websocket_protocol_only_for_the_first_websocket() -> None:
    """Uvicorn, as `harbour serve` sets it up, imports its WebSocket protocol and websockets
    (~0.5 MiB of idle memory) when the first WebSocket upgrade makes a protocol, not when it
    loads its settings at start-up."""
    script = """
import sys
from uvicorn.server import ServerState
from node.app import create_app
from node.commands import server_config
from node.settings import Settings
settings = Settings.load({"HARBOUR_DOMAIN": "n.example", "HARBOUR_DEVELOPMENT": "true",
                          "HARBOUR_DATABASE_URL": "sqlite:///unused.db"}).with_secret_key()
config = server_config(settings, create_app(settings))
config.load()
print("websockets" in sys.modules)
protocol = config.ws_protocol_class(config=config, server_state=ServerState(), app_state={})
print("websockets" in sys.modules, type(protocol).__name__, protocol.conn.max_message_size)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["False", "True WebSocketsSansIOProtocol 65536"]
