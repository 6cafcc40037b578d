"""The Starlette application: routes, middleware and the node's long-lived services."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from content.push_subscriptions import token_box
from federation.context import Federation
from federation.media_proxy import DEADLINE as MEDIA_DEADLINE
from federation.media_proxy import MAX_BYTES as MEDIA_MAX_BYTES
from federation.media_proxy import MediaProxy
from federation.push import Pusher
from federation.signature_styles import SignatureStyles
from federation.transport import Transport, TransportPolicy
from federation.worker import STOP_SECONDS, Worker
from moderation import lockdown
from moderation.rate_limits import RateLimited, RateLimiter
from node import i18n, push_texts
from node.api import activitypub, inbox, wellknown
from node.api.mastodon import account_lists as api_account_lists
from node.api.mastodon import accounts as api_accounts
from node.api.mastodon import admin as api_admin
from node.api.mastodon import admin_accounts as api_admin_accounts
from node.api.mastodon import admin_reports as api_admin_reports
from node.api.mastodon import blocks as api_blocks
from node.api.mastodon import conversations as api_conversations
from node.api.mastodon import domain_blocks as api_domain_blocks
from node.api.mastodon import instance as api_instance
from node.api.mastodon import markers as api_markers
from node.api.mastodon import marks as api_marks
from node.api.mastodon import media as api_media
from node.api.mastodon import notification_groups as api_notification_groups
from node.api.mastodon import notification_requests as api_notification_requests
from node.api.mastodon import notifications as api_notifications
from node.api.mastodon import oauth as api_oauth
from node.api.mastodon import polls as api_polls
from node.api.mastodon import profile as api_profile
from node.api.mastodon import push as api_push
from node.api.mastodon import reports as api_reports
from node.api.mastodon import status_edits as api_status_edits
from node.api.mastodon import statuses as api_statuses
from node.api.mastodon import tags as api_tags
from node.api.mastodon import timeline_lists as api_timeline_lists
from node.api.mastodon import timelines as api_timelines
from node.database import create_engine, create_sessionmaker, is_sqlite
from node.errors import http_error, server_error, too_many
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
from node.streaming import routes as streaming_routes
from node.streaming.hub import Hub
from node.version import harbour_version
from node.web import (
    actions,
    admin_domains,
    admin_pages,
    admin_people,
    admin_trust,
    calendar,
    corrections,
    events,
    language_pages,
    list_pages,
    media_proxy,
    move_pages,
    pages,
    persona_pages,
    post_history,
    privacy_pages,
    quick_exit,
    safety_pages,
    security_pages,
    sessions,
    settings_pages,
    threads,
    time_zones,
    timeline_list_pages,
    to_verify,
    two_factor_pages,
    vouches,
)
from node.web import countries as web_countries
from node.web import directory as web_directory
from node.web.rendering import TEMPLATES

MAX_BODY_BYTES = 1_048_576
SESSION_LIFETIME_SECONDS = 14 * 24 * 3600
SESSION_COOKIE = "harbour_session"


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

    streams = Hub(session_factory, settings.base_url, listen_to=listen_url(settings))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        worker = Worker(
            federation,
            settings.retention,
            listen_to=listen_url(settings),
            pusher=pusher_for(settings, interface),
        )
        task = asyncio.create_task(worker.run_forever()) if run_worker else None
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
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, 2 * STOP_SECONDS)
            await federation.transport.aclose()
            await services.media_proxy.aclose()
            await engine.dispose()

    app = Starlette(
        routes=[
            *wellknown.routes,
            *activitypub.routes,
            *inbox.routes,
            *api_oauth.routes,
            *api_instance.routes,
            # Before accounts and statuses, whose /{id} and /{id}/{verb} would catch these.
            *api_account_lists.routes,
            *api_timeline_lists.routes,
            *api_polls.routes,
            *api_marks.routes,
            *api_profile.routes,
            *api_accounts.routes,
            *api_blocks.routes,
            *api_domain_blocks.routes,
            *api_reports.routes,
            *api_status_edits.routes,
            *api_statuses.routes,
            *api_timelines.routes,
            *api_tags.routes,
            *api_admin.routes,
            *api_admin_reports.routes,
            *api_admin_accounts.routes,
            *api_notification_requests.routes,
            *api_notification_groups.routes,
            *api_notifications.routes,
            *api_markers.routes,
            *api_conversations.routes,
            *api_media.routes,
            *streaming_routes.routes,
            *api_push.routes,
            *media_proxy.routes,
            *pages.routes,
            *language_pages.routes,
            *sessions.routes,
            *quick_exit.routes,
            *actions.routes,
            *post_history.routes,
            *settings_pages.routes,
            *persona_pages.routes,
            *list_pages.routes,
            *timeline_list_pages.routes,
            *privacy_pages.routes,
            *move_pages.routes,
            *security_pages.routes,
            *safety_pages.routes,
            *admin_pages.routes,
            *admin_domains.routes,
            *admin_trust.routes,
            *admin_people.routes,
            *two_factor_pages.routes,
            *web_directory.routes,
            *calendar.routes,
            *events.routes,
            *time_zones.routes,
            *to_verify.routes,
            *corrections.routes,
            *vouches.routes,
            *web_countries.routes,
            *threads.routes,
            Mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"), name="static"),
            Route(FAVICON_PATH, _favicon_answer(), methods=["GET", "HEAD"]),
        ],
        middleware=[
            Middleware(DropClientAddress),
            Middleware(AccessLog),
            Middleware(SecurityHeaders),
            Middleware(NoStore, cookie=SESSION_COOKIE),
            Middleware(quick_exit.LeftMarker, settings=settings),
            Middleware(SameOriginForms, origin=settings.base_url),
            Middleware(i18n.InterfaceLanguage, interface=interface),
            Middleware(
                BodySizeLimit,
                max_bytes=MAX_BODY_BYTES,
                larger={
                    **dict.fromkeys(api_media.UPLOAD_PATHS, api_media.MAX_UPLOAD_BODY),
                    list_pages.IMPORT_PATH: list_pages.MAX_IMPORT_BODY,
                },
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
    icon = (TEMPLATES.parent / "static" / "favicon.ico").read_bytes()

    async def favicon(_request: Request) -> Response:
        return Response(
            icon,
            media_type="image/vnd.microsoft.icon",
            headers={"cache-control": "public, max-age=604800"},
        )

    return favicon
