"""A real headless Chromium (Debian's `/usr/bin/chromium`) driven by Playwright.

Playwright's own browser download is never used: `.ci/run` installs Debian's chromium, and
the tests skip, saying why, on a machine without it (on CI they fail instead)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port
from tests.rig.npm import npm_installed

AXE_DIR = Path(__file__).parent / "axe"
CHROMIUM = Path(os.environ.get("HARBOUR_TEST_CHROMIUM", "/usr/bin/chromium"))
# As root and on a closed network: no sandbox, and none of Chromium's calls home.
QUIET_CHROMIUM = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for the browser tests only (while it runs, its event loop is the
    thread's, and `asyncio.run` in later tests would fail); skips where Debian's chromium is
    absent."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as driver:
        yield driver


@contextmanager
def one_node(databases: SQLiteDatabases, tmp_path: Path, **env: str) -> Iterator[list[NodeProcess]]:
    """A fleet of one node, node-a.test on SQLite, with `env` as extra settings."""
    name = "node-a.test"
    node = NodeProcess(
        port=free_port(), data_dir=tmp_path / name, database_url=databases.create(), name=name
    )
    node.extra_env.update(HARBOUR_DEV_HOSTS=f"{name}=127.0.0.1", **env)
    node.start(timeout=90)
    try:
        yield [node]
    finally:
        node.stop()
        databases.drop(node.database_url)


def browser_for(playwright: Playwright, nodes: list[NodeProcess]) -> Browser:
    """A headless Chromium that finds the test nodes' host names on loopback."""
    rules = ", ".join(f"MAP {node.name} 127.0.0.1" for node in nodes)
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[*QUIET_CHROMIUM, f"--host-resolver-rules={rules}"],
    )


@pytest.fixture
def browser(playwright: Playwright, fleet: list[NodeProcess]) -> Iterator[Browser]:
    """Chromium for this test's fleet of nodes."""
    chromium = browser_for(playwright, fleet)
    yield chromium
    chromium.close()


def phone_context(browser: Browser, *, script: bool = False) -> BrowserContext:
    """A small touch screen, as most members use Harbour, reading English; JavaScript off
    unless `script`."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        java_script_enabled=script,
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page on a phone, without JavaScript."""
    context = phone_context(browser)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def axe() -> str:
    """The source of axe-core (npm, from the committed lock file), to inject into pages."""
    folder = npm_installed(AXE_DIR, "axe-core", "the accessibility audit")
    return (folder / "node_modules" / "axe-core" / "axe.min.js").read_text()
