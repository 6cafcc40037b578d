"""The Starlette application: routes, middleware and the node's long-lived services."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from content.foreground import background
from content.media import MAX_UPLOAD_BYTES
from content.push_subscriptions import token_box
from federation.context import Federation
from federation.media_proxy import DEADLINE as MEDIA_DEADLINE
from federation.media_proxy import MAX_BYTES as MEDIA_MAX_BYTES
from federation.media_proxy import MediaProxy
from federation.push import Pusher
from federation.signature_styles import SignatureStyles
from federation.transport import DEADLINE, Transport, TransportPolicy
from federation.worker import STOP_SECONDS, Worker
from moderation import lockdown
from moderation.list_files import MAX_BYTES as MAX_LIST_BYTES
from moderation.rate_limits import RateLimited, RateLimiter
from node import i18n, push_texts
from node.api import activitypub, inbox, wellknown
from node.database import create_engine, create_sessionmaker, is_sqlite
from node.errors import http_error, server_error, too_many
from node.lazy_routes import LazyRoutes
from node.middleware import (
    FAVICON_PATH,
    AccessLog,
    BodySizeLimit,
    DropClientAddress,
    NoStore,
    SameOriginForms,
    SecurityHeaders,
)
from node.settings import Settings
from node.state import Services
from node.streaming.hub import Hub
from node.version import harbour_version
from node.web import quick_exit

API = "node.api.mastodon."
WEB = "node.web."
MAX_BODY_BYTES = 1_048_576
STATIC = Path(__file__).parent / "web" / "static"
SESSION_LIFETIME_SECONDS = 14 * 24 * 3600
# The bodies that carry files have their own caps: images (an avatar and a header in one
# request) and a member's list file (with the form around it). Named here, not in the
# modules serving them, which a start does not import.
MAX_UPLOAD_BODY = 2 * MAX_UPLOAD_BYTES + 64 * 1024
UPLOAD_PATHS = ("/api/v1/media", "/api/v2/media", "/api/v1/accounts/update_credentials")
LARGER_BODIES = {
    **dict.fromkeys(UPLOAD_PATHS, MAX_UPLOAD_BODY),
    "/settings/lists/import": MAX_LIST_BYTES + 64 * 1024,
}
SESSION_COOKIE = "harbour_session"
# The worker's first pass (which configures every mapper, ~50 ms, and reads the job tables)
# waits this long after start-up, so the first requests are not queued behind it.
WORKER_START_DELAY = 1.0


def create_federation(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Federation:
    """The federation runtime: one outbound client, allowed to reach loopback only in
    development; on PostgreSQL the members' rate limits counted in the database, for every
    process of the node."""
    return Federation(
        sessions=sessions,
        transport=Transport(
            transport_policy(settings),
            user_agent=user_agent(settings),
            styles=SignatureStyles(rfc9421=not settings.test_cavage_only),
        ),
        base_url=settings.base_url,
        domain=settings.domain,
        mode=settings.federation_mode,
        quarantine_days=settings.quarantine_days,
        retry_scale=settings.test_retry_scale,
        handlers_raise=settings.test_handlers_raise,
        accepts_rfc9421=not settings.test_cavage_only,
        limits=RateLimiter(
            shared=None if is_sqlite(settings.database_url) else sessions,
            secret=settings.secret_key,
        ),
    )


def transport_policy(settings: Settings) -> TransportPolicy:
    """Where outbound requests may go: loopback and plain http only in development."""
    return TransportPolicy(
        allow_private_addresses=settings.development,
        allow_http=settings.development,
        static_hosts=settings.dev_hosts,
        ca_bundle=settings.ca_bundle,
    )


def user_agent(settings: Settings) -> str:
    """What the node calls itself to the servers it asks."""
    return f"Harbour/{harbour_version()} (+{settings.base_url}/)"


def create_media_proxy(settings: Settings) -> MediaProxy:
    """The media proxy, with a client of its own: files are larger than documents and
    never signed."""
    transport = Transport(
        transport_policy(settings),
        user_agent=user_agent(settings),
        max_response_bytes=MEDIA_MAX_BYTES,
        deadline=MEDIA_DEADLINE,
    )
    return MediaProxy(transport, settings.media_cache_dir, settings.media_cache_mib * 1024 * 1024)


def pusher_for(settings: Settings, interface: i18n.Interface) -> Pusher:
    """Web Push as the node sends it: its VAPID key, and its words in each member's language."""
    return Pusher(
        settings.secret_key,
        push_texts.words(interface, settings.base_url),
        token_box(settings.secret_key),
    )


def listen_url(settings: Settings) -> str | None:
    """The database a worker LISTENs on for work other processes queue: PostgreSQL's; None
    on SQLite, which has one process."""
    return None if is_sqlite(settings.database_url) else settings.database_url


def create_app(settings: Settings, *, run_worker: bool = True) -> Starlette:
    """A Harbour node for `settings`, which must carry a secret key. With `run_worker` the
    node applies inbound activities and delivers outbound ones in this process."""
    if not settings.secret_key:
        raise ValueError("settings need a secret key: use Settings.with_secret_key()")
    engine = create_engine(settings.database_url)
    session_factory = create_sessionmaker(engine)
    federation = create_federation(settings, session_factory)
    interface = i18n.load(settings.test_locales)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=session_factory,
        federation=federation,
        interface=interface,
        media_proxy=create_media_proxy(settings),
    )

    streams = Hub(
        session_factory, settings.base_url, listen_to=listen_url(settings), tokens=services.tokens
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        worker = Worker(
            federation,
            settings.retention,
            listen_to=listen_url(settings),
            pusher=pusher_for(settings, interface),
        )
        begun = asyncio.Event()

        async def work_soon() -> None:
            await asyncio.sleep(WORKER_START_DELAY)
            begun.set()
            await worker.run_forever()

        task = asyncio.create_task(work_soon(), context=background()) if run_worker else None
        switches = asyncio.create_task(lockdown.follow(session_factory, federation))
        await streams.start()
        try:
            yield
        finally:
            await streams.stop()
            switches.cancel()  # awaited, so its connection is back before the pool is closed
            await asyncio.gather(switches, return_exceptions=True)
            if task is not None:
                worker.stop()
                if not begun.is_set():
                    task.cancel()  # still waiting: no transaction to cut short
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, DEADLINE + 2 * STOP_SECONDS)
            await federation.transport.aclose()
            await services.media_proxy.aclose()
            await engine.dispose()

    app = Starlette(
        routes=[
            *wellknown.routes,
            *activitypub.routes,
            # The rest in the same order, most imported on the first request to their
            # paths (node/lazy_routes.py).
            LazyRoutes(API + "oauth", "/.well-known", "/api/v1/apps", "/oauth"),
            LazyRoutes(
                API + "instance", "/api/v1/custom_emojis", "/api/v1/instance", "/api/v2/instance"
            ),
            # Before accounts and statuses, whose /{id} and /{id}/{verb} would catch these.
            LazyRoutes(API + "account_lists", "/api/v1/accounts"),
            LazyRoutes(API + "timeline_lists", "/api/v1/accounts", "/api/v1/lists"),
            LazyRoutes(API + "polls", "/api/v1/polls"),
            LazyRoutes(
                API + "marks", "/api/v1/bookmarks", "/api/v1/favourites", "/api/v1/statuses"
            ),
            LazyRoutes(API + "profile", "/api/v1/accounts", "/api/v1/preferences"),
            LazyRoutes(
                API + "accounts", "/api/v1/accounts", "/api/v1/follow_requests", "/api/v2/search"
            ),
            LazyRoutes(API + "blocks", "/api/v1/accounts", "/api/v1/blocks", "/api/v1/mutes"),
            LazyRoutes(API + "domain_blocks", "/api/v1/domain_blocks"),
            LazyRoutes(API + "reports", "/api/v1/reports"),
            LazyRoutes(API + "status_edits", "/api/v1/statuses"),
            LazyRoutes(API + "statuses", "/api/v1/statuses"),
            LazyRoutes(API + "timelines", "/api/v1/timelines"),
            LazyRoutes(
                API + "tags",
                "/api/v1/filters",
                "/api/v1/followed_tags",
                "/api/v1/tags",
                "/api/v2/filters",
            ),
            LazyRoutes(API + "admin", "/api/v1/admin", "/api/v1/instance"),
            LazyRoutes(API + "admin_reports", "/api/v1/admin"),
            LazyRoutes(API + "admin_accounts", "/api/v1/admin", "/api/v2/admin"),
            LazyRoutes(
                API + "notification_requests", "/api/v1/notifications", "/api/v2/notifications"
            ),
            LazyRoutes(API + "notification_groups", "/api/v2/notifications"),
            LazyRoutes(API + "notifications", "/api/v1/notifications"),
            LazyRoutes(API + "markers", "/api/v1/markers"),
            LazyRoutes(API + "conversations", "/api/v1/conversations"),
            LazyRoutes(API + "media", "/api/v1/media", "/api/v2/media", "/media/"),
            LazyRoutes("node.streaming.routes", "/api/v1/streaming"),
            LazyRoutes(API + "push", "/api/v1/push"),
            LazyRoutes(WEB + "media_proxy", "/media"),
            LazyRoutes(WEB + "pages", "/@", "/about", "/tags", exact=["/"]),
            LazyRoutes(WEB + "language_pages", "/about", "/language"),
            LazyRoutes(WEB + "sessions", "/login", "/logout", "/register"),
            *quick_exit.routes,
            LazyRoutes(
                WEB + "actions", "/block", "/compose", "/follow", "/home", "/posts", "/unfollow"
            ),
            LazyRoutes(WEB + "post_history", "/posts"),
            LazyRoutes(WEB + "settings_pages", "/settings"),
            LazyRoutes(WEB + "persona_pages", "/settings"),
            LazyRoutes(WEB + "list_pages", "/settings/lists"),
            LazyRoutes(WEB + "timeline_list_pages", "/home"),
            LazyRoutes(WEB + "privacy_pages", "/settings"),
            LazyRoutes(WEB + "move_pages", "/settings"),
            LazyRoutes(WEB + "security_pages", "/settings"),
            LazyRoutes(WEB + "safety_pages", "/accounts", "/notifications"),
            LazyRoutes(WEB + "admin_pages", "/admin"),
            LazyRoutes(WEB + "admin_domains", "/admin"),
            LazyRoutes(WEB + "admin_trust", "/admin"),
            LazyRoutes(WEB + "admin_people", "/admin"),
            LazyRoutes(WEB + "two_factor_pages", "/settings"),
            LazyRoutes(WEB + "directory", "/directory"),
            LazyRoutes(WEB + "calendar", "/events"),
            LazyRoutes(WEB + "events", "/events"),
            LazyRoutes(WEB + "time_zones", "/time-zone"),
            LazyRoutes(WEB + "to_verify", "/staff"),
            LazyRoutes(WEB + "corrections", "/corrections", "/staff"),
            LazyRoutes(WEB + "vouches", "/countries", "/directory"),
            LazyRoutes(WEB + "countries", "/countries"),
            LazyRoutes(WEB + "threads", "/discussions"),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            Route(FAVICON_PATH, _favicon_answer(), methods=["GET", "HEAD"]),
        ],
        middleware=[
            Middleware(DropClientAddress),
            Middleware(AccessLog),
            Middleware(SecurityHeaders),
            Middleware(NoStore, cookie=SESSION_COOKIE),
            Middleware(inbox.InboxFirst, max_bytes=MAX_BODY_BYTES),  # past what follows
            Middleware(quick_exit.LeftMarker, settings=settings),
            Middleware(SameOriginForms, origin=settings.base_url),
            Middleware(i18n.InterfaceLanguage, interface=interface),
            Middleware(
                BodySizeLimit,
                max_bytes=MAX_BODY_BYTES,
                larger=LARGER_BODIES,
            ),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_LIFETIME_SECONDS,
                same_site="lax",
                https_only=not settings.development,
            ),
        ],
        exception_handlers={
            HTTPException: http_error,
            RateLimited: too_many,
            Exception: server_error,
        },
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.streams = streams
    return app


def _favicon_answer() -> Callable[[Request], Awaitable[Response]]:
    """The icon browsers ask every site for (a 1.4 KB file read once), kept for a week."""
    icon = (STATIC / "favicon.ico").read_bytes()

    async def favicon(_request: Request) -> Response:
        return Response(
            icon,
            media_type="image/vnd.microsoft.icon",
            headers={"cache-control": "public, max-age=604800"},
        )

    return favicon
