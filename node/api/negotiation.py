"""Content negotiation between ActivityPub JSON-LD and HTML, and the JSON-LD response."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from activitypub import ACTIVITY_JSON

ACTIVITYPUB_MEDIA_TYPES = frozenset({ACTIVITY_JSON, "application/ld+json", "application/json"})
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/*", "*/*"})


def wants_activitypub(request: Request) -> bool:
    """Whether the client asks for ActivityPub JSON at least as strongly as for HTML."""
    best_activitypub = best_html = 0.0
    for part in request.headers.get("accept", "").split(","):
        media_type, *params = (piece.strip() for piece in part.split(";"))
        quality = _quality(params)
        if media_type.lower() in ACTIVITYPUB_MEDIA_TYPES:
            best_activitypub = max(best_activitypub, quality)
        elif media_type.lower() in HTML_MEDIA_TYPES:
            best_html = max(best_html, quality)
    return best_activitypub > 0 and best_activitypub >= best_html


def activity_response(document: dict[str, Any], status_code: int = 200) -> JSONResponse:
    """A JSON-LD document with the ActivityPub media type; caches keep HTML apart by Accept."""
    return JSONResponse(
        document,
        status_code=status_code,
        media_type=f"{ACTIVITY_JSON}; charset=utf-8",
        headers={"Vary": "Accept"},
    )


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
