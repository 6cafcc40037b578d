"""PATCH /api/v1/accounts/update_credentials: the member edits their profile, which is then
sent to their followers' servers as an `Update` of the actor; `source[language]` is their
language, the web interface's too (GET /api/v1/preferences shows it as
`posting:default:language`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import languages, media, profiles
from content.accounts import Account
from content.profiles import ProfileError
from content.users import User
from federation import outbox
from node.api.mastodon import entities
from node.api.mastodon.media import store_image
from node.api.mastodon.requests import read_params, user_of
from node.database import session_scope
from node.state import services

TRUE = (True, "true", "True", "1", "on")
_FIELD_KEY = re.compile(r"^fields_attributes\[(\d{1,2})\]\[(name|value)\]$")


async def update_credentials(request: Request) -> Response:
    """Change what is given (display_name, note, locked, discoverable, bot, fields_attributes,
    avatar, header, and Harbour's hide_from_guests); answer the CredentialAccount."""
    me = await user_of(request, "write:accounts")
    settings = services(request).settings
    fed = services(request).federation
    images: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=2, max_fields=100) as form:
            params: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
            try:
                for which in ("avatar", "header"):
                    if isinstance(form.get(which), UploadFile):
                        _, name = await store_image(settings, form.get(which))
                        images[which] = f"{settings.base_url}/media/{name}"
            except HTTPException:
                _discard(settings.media_dir, images.values())
                raise
    else:
        params = await read_params(request)
    language = _language(params)
    replaced: list[str | None] = []
    try:
        async with session_scope(services(request).sessions) as session:
            account = await session.get(Account, me.id)
            assert account is not None
            profiles.edit(
                account,
                display_name=_text(params, "display_name"),
                note=_text(params, "note"),
                locked=_flag(params, "locked"),
                discoverable=_flag(params, "discoverable"),
                bot=_flag(params, "bot"),
                fields=_fields(params),
                hide_from_guests=_flag(params, "hide_from_guests"),
            )
            if language is not None:
                user = await session.get(User, account.id)
                if user is not None:
                    user.language = language
            for which, url in images.items():
                replaced.append(profiles.set_image(account, which, url))
            await outbox.update_profile(fed, session, account)
            entity = await entities.credential_account(session, account, settings.base_url)
    except ProfileError as error:
        _discard(settings.media_dir, images.values())
        raise HTTPException(422, f"Validation failed: {error}") from None
    local = f"{settings.base_url}/media/"
    _discard(settings.media_dir, [u for u in replaced if u and u.startswith(local)])
    fed.notify()
    return JSONResponse(entity)


def _language(params: dict[str, Any]) -> str | None:
    """`source[language]` (a form key, or `source` as a JSON object) as a standard BCP 47
    tag; 422 if it is not one."""
    source = params.get("source")
    given = source.get("language") if isinstance(source, dict) else params.get("source[language]")
    if given is None or given == "":
        return None
    tag = languages.language_tag(str(given))
    if tag is None:
        raise HTTPException(422, "Validation failed: source[language] is not a language tag")
    return tag


async def preferences(request: Request) -> Response:
    """GET /api/v1/preferences: the member's language as the default for posts (the rest are
    Harbour's fixed defaults)."""
    me = await user_of(request, "read:accounts")
    async with services(request).sessions() as session:
        user = await session.get(User, me.id)
    return JSONResponse(
        {
            "posting:default:visibility": "public",
            "posting:default:sensitive": False,
            "posting:default:language": user.language if user else None,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
        }
    )


def _discard(directory: Path, urls: Iterable[str]) -> None:
    """Remove the files behind local image URLs (replaced, or of a refused change)."""
    for url in urls:
        media.remove_file(directory, url.rpartition("/")[2])


def _text(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    return None if value is None else str(value)


def _flag(params: dict[str, Any], key: str) -> bool | None:
    return None if params.get(key) is None else params[key] in TRUE


def _fields(params: dict[str, Any]) -> list[tuple[str, str]] | None:
    """`fields_attributes[0][name]` form keys, or a JSON list (or index-keyed object)."""
    given = params.get("fields_attributes")
    rows: dict[int, dict[str, str]] = {}
    if isinstance(given, dict):
        given = [given[k] for k in sorted(given, key=str)]
    if isinstance(given, list):
        rows = {i: row for i, row in enumerate(given) if isinstance(row, dict)}
    for key, value in params.items():
        match = _FIELD_KEY.fullmatch(key)
        if match:
            rows.setdefault(int(match[1]), {})[match[2]] = str(value)
    if not rows and given is None:
        return None
    return [(str(r.get("name", "")), str(r.get("value", ""))) for _, r in sorted(rows.items())]


routes = [
    Route("/api/v1/accounts/update_credentials", update_credentials, methods=["PATCH"]),
    Route("/api/v1/preferences", preferences),
]
