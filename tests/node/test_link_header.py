"""The client API's `Link` header, made from the request's scope, says what Starlette's `URL`
said (issue 18 made it from the scope: the URL cost ~6 % of a timeline page's CPU)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from node.api.mastodon.paging import link_header

BASE = "https://harbour.example"


def by_starlette(request: Request, ids: list[int]) -> str:
    """The header as it was made before, through Starlette's `URL`."""
    url = request.url.remove_query_params(["max_id", "since_id", "min_id"])
    older, newer = (
        url.include_query_params(max_id=min(ids)),
        url.include_query_params(min_id=max(ids)),
    )
    return (
        f'<{BASE}{older.path}?{older.query}>; rel="next", '
        f'<{BASE}{newer.path}?{newer.query}>; rel="prev"'
    )


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/timelines/home", ""),
        ("/api/v1/timelines/home", "limit=20&max_id=5&since_id=1&min_id=3"),
        ("/api/v1/timelines/tag/caf\u00e9", "local=true&max_id=&a+b=c%20d&k&=v&&x=%26y"),
        ("/api/v1/notifications", "types[]=follow&types[]=mention&limit=5"),
        ("/api/v1/odd%3Fpath", "q=%C3%A9t%C3%A9;2&u=%F0%9F%98%80"),
        ("/api/v1/x?y#z\\w", "max_id=9"),
    ],
)
def test_the_link_header_is_what_starlettes_url_wrote(path: str, query: str) -> None:
    scope = {
        "type": "http",
        "scheme": "https",
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"host", b"harbour.example")],
        "server": ("harbour.example", 443),
    }
    request = Request(scope)
    assert link_header(request, BASE, [7, 3, 11]) == {"Link": by_starlette(request, [7, 3, 11])}


def test_an_empty_page_has_no_link_header() -> None:
    request = Request({"type": "http", "path": "/", "query_string": b"", "headers": []})
    assert link_header(request, BASE, []) == {}
