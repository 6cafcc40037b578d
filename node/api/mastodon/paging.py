"""Paging parameters and Link headers for every list the client API returns."""

from __future__ import annotations

from starlette.requests import Request

from content.paging import Window, parse_count, parse_id

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


def window_of(request: Request, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> Window:
    """The window a request asks for; ids that are not ids are ignored, limits are clamped."""
    query = request.query_params
    return Window(
        limit=parse_count(query.get("limit"), default, maximum, minimum=1),
        max_id=parse_id(query.get("max_id")),
        since_id=parse_id(query.get("since_id")),
        min_id=parse_id(query.get("min_id")),
    )


def link_header(request: Request, base_url: str, ids: list[int]) -> dict[str, str]:
    """`Link` with rel="next" (older) and rel="prev" (newer) for a page holding `ids`."""
    if not ids:
        return {}
    url = request.url.remove_query_params(["max_id", "since_id", "min_id"])
    older = url.include_query_params(max_id=min(ids))
    newer = url.include_query_params(min_id=max(ids))
    return {
        "Link": f'<{base_url}{older.path}?{older.query}>; rel="next", '
        f'<{base_url}{newer.path}?{newer.query}>; rel="prev"'
    }
