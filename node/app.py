"""The Starlette application: routes, middleware and the node's long-lived services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from node.api import activitypub, wellknown
from node.database import create_engine, create_sessionmaker
from node.errors import http_error, server_error
from node.middleware import AccessLog, BodySizeLimit, DropClientAddress, SecurityHeaders
from node.settings import Settings
from node.state import Services
from node.web import pages, sessions
from node.web.rendering import TEMPLATES, create_templates

MAX_BODY_BYTES = 1_048_576
SESSION_LIFETIME_SECONDS = 14 * 24 * 3600


def create_app(settings: Settings) -> Starlette:
    """A Harbour node for `settings`, which must carry a secret key."""
    if not settings.secret_key:
        raise ValueError("settings need a secret key: use Settings.with_secret_key()")
    engine = create_engine(settings.database_url)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=create_sessionmaker(engine),
        templates=create_templates(),
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = Starlette(
        routes=[
            *wellknown.routes,
            *activitypub.routes,
            *pages.routes,
            *sessions.routes,
            Mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"), name="static"),
        ],
        middleware=[
            Middleware(DropClientAddress),
            Middleware(AccessLog),
            Middleware(SecurityHeaders),
            Middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="harbour_session",
                max_age=SESSION_LIFETIME_SECONDS,
                same_site="lax",
                https_only=not settings.development,
            ),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.services = services
    return app
