"""Read markers: GET and POST /api/v1/markers for the home timeline and notifications."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import markers
from content.markers import Marker, Timeline
from content.orm import iso
from content.paging import parse_id
from node.api.mastodon.requests import read_params, user_of
from node.database import session_scope
from node.state import services


async def show(request: Request) -> Response:
    """GET /api/v1/markers?timeline[]=home&timeline[]=notifications."""
    viewer = await user_of(request, "read:statuses")
    query = request.query_params
    asked = {*query.getlist("timeline[]"), *query.getlist("timeline")}
    timelines = [timeline for timeline in Timeline if timeline in asked]
    async with services(request).sessions() as session:
        found = await markers.get(session, viewer, timelines)
    return JSONResponse({marker.timeline: _entity(marker) for marker in found})


async def save(request: Request) -> Response:
    """POST /api/v1/markers with home[last_read_id] and/or notifications[last_read_id], as a
    form or as JSON; answers the markers it saved."""
    viewer = await user_of(request, "write:statuses")
    params = await read_params(request)
    wanted = {t: raw for t in Timeline if (raw := _last_read_id(params, t)) is not None}
    saved: dict[str, Any] = {}
    async with session_scope(services(request).sessions) as session:
        for timeline, raw in wanted.items():
            if (last_read := parse_id(raw)) is None:
                raise HTTPException(422, f"Validation failed: {timeline} last_read_id is no id")
            saved[timeline] = _entity(await markers.save(session, viewer, timeline, last_read))
    return JSONResponse(saved)


def _last_read_id(params: dict[str, Any], timeline: Timeline) -> str | None:
    nested = params.get(str(timeline))
    raw = nested.get("last_read_id") if isinstance(nested, dict) else None
    raw = raw if raw is not None else params.get(f"{timeline}[last_read_id]")
    return None if raw is None else str(raw)


def _entity(marker: Marker) -> dict[str, Any]:
    """The Marker entity."""
    return {
        "last_read_id": str(marker.last_read_id),
        "version": marker.version,
        "updated_at": iso(marker.updated_at),
    }


routes = [
    Route("/api/v1/markers", show, methods=["GET"]),
    Route("/api/v1/markers", save, methods=["POST"]),
]
