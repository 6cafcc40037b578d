"""The instance description clients read before anything else, in v1 and v2 shapes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import accounts, media, polls, posts
from federation.push import server_key, vapid_key
from moderation import domain_blocks
from moderation.domain_names import candidates
from moderation.switches import Switch
from node import run_time_settings
from node.state import services
from node.version import harbour_version

# Clients enable features by the Mastodon version they see, and, since 4.3, by
# `api_versions`: Harbour speaks a 4.3-level API (grouped notifications, notification
# policy and requests).
MASTODON_COMPATIBILITY = "4.3.0"
API_VERSIONS = {"mastodon": 2}
MAX_CHARACTERS = posts.MAX_TEXT_LENGTH


def version() -> str:
    return f"{MASTODON_COMPATIBILITY} (compatible; Harbour {harbour_version()})"


async def instance_v1(request: Request) -> Response:
    """GET /api/v1/instance."""
    settings = services(request).settings
    usage = await services(request).usage.usage(services(request).sessions)
    async with services(request).sessions() as session:
        approval = await run_time_settings.is_on(session, settings, Switch.REGISTRATION_APPROVAL)
    document: dict[str, Any] = {
        "uri": settings.domain,
        "title": settings.organisation_name,
        "short_description": "A Harbour community node",
        "description": "",
        "email": "",
        "version": version(),
        "urls": {"streaming_api": streaming_url(settings.base_url)},
        "languages": ["en"],
        "registrations": False,  # by invite only
        "approval_required": approval,
        "invites_enabled": True,
        "stats": {
            "user_count": usage.users_total,
            "status_count": usage.local_posts,
            "domain_count": 0,
        },
        "thumbnail": None,
        "rules": [],
        "contact_account": None,
        "configuration": _configuration(settings.base_url),
    }
    return JSONResponse(document)


async def instance_v2(request: Request) -> Response:
    """GET /api/v2/instance."""
    settings = services(request).settings
    usage = await services(request).usage.usage(services(request).sessions)
    async with services(request).sessions() as session:
        approval = await run_time_settings.is_on(session, settings, Switch.REGISTRATION_APPROVAL)
    document = {
        "domain": settings.domain,
        "title": settings.organisation_name,
        "version": version(),
        "source_url": "",
        "description": "A Harbour community node",
        "usage": {"users": {"active_month": usage.users_active_month}},
        "thumbnail": {"url": ""},
        "languages": ["en"],
        "configuration": {
            **_configuration(settings.base_url),
            "vapid": {"public_key": server_key(vapid_key(settings.secret_key))},
        },
        "registrations": {
            "enabled": False,  # by invite only
            "approval_required": approval,
            "message": None,
        },
        "contact": {"email": "", "account": None},
        "rules": [],
        "api_versions": API_VERSIONS,
    }
    return JSONResponse(document)


async def peers(request: Request) -> Response:
    """GET /api/v1/instance/peers: the servers this node knows accounts on, but none it
    blocks (a domain with a block of any severity, or under a blocked parent domain), as
    Mastodon leaves out every domain it has a block for: the list is public, and would
    tell a harasser which servers this node cut off or limited, however obfuscated its
    published blocklist is."""
    async with services(request).sessions() as session:
        known = await accounts.known_domains(session)
        blocked = {row.domain for row in await domain_blocks.all_blocks(session)}
    return JSONResponse([domain for domain in known if blocked.isdisjoint(candidates(domain))])


async def empty_list(request: Request) -> Response:
    """Rules and custom emojis: Harbour has neither yet."""
    return JSONResponse([])


def streaming_url(base_url: str) -> str:
    """Where the streaming API's WebSocket is: this node, over wss (ws in development)."""
    return "ws" + base_url.removeprefix("http")


def _configuration(base_url: str) -> dict[str, Any]:
    return {
        "statuses": {
            "max_characters": MAX_CHARACTERS,
            "max_media_attachments": media.MAX_PER_POST,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": list(media.ACCEPTED_MIME_TYPES),
            "image_size_limit": media.MAX_UPLOAD_BYTES,
            "image_matrix_limit": media.MAX_PIXELS,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": polls.MAX_OPTIONS,
            "max_characters_per_option": polls.MAX_OPTION_CHARS,
            "min_expiration": polls.MIN_EXPIRATION,
            "max_expiration": polls.MAX_EXPIRATION,
        },
        "accounts": {"max_featured_tags": 0},
        "urls": {"streaming": streaming_url(base_url)},
    }


routes = [
    Route("/api/v1/instance", instance_v1),
    Route("/api/v1/instance/", instance_v1),
    Route("/api/v2/instance", instance_v2),
    Route("/api/v2/instance/", instance_v2),
    Route("/api/v1/instance/peers", peers),
    Route("/api/v1/instance/rules", empty_list),
    Route("/api/v1/custom_emojis", empty_list),
]
