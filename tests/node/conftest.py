"""An in-process Harbour app on a real database, reached through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from node.app import create_app
from node.settings import Settings
from node.state import Services

DOMAIN = "harbour.test"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        domain=DOMAIN,
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="a-test-secret-key-that-is-long-enough-0123456789",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    yield application
    await application.state.services.engine.dispose()


@pytest.fixture
def services(app: Starlette) -> Services:
    found: Services = app.state.services
    return found


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.77", 40123))
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{DOMAIN}") as http:
        yield http
