"""Route groups imported on first use route exactly as the routes listed in place would: no
route of a group has a path its group's prefixes miss, and a request reaches the route it
did (with `scope["route"]` that route)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Match, Route, WebSocketRoute

from node.lazy_routes import LazyRoutes, every_route

pytestmark = pytest.mark.anyio


def _a_path(route: Route | WebSocketRoute) -> str:
    """A path the route matches: each parameter filled in (a `path` one with two segments)."""
    return re.sub(
        r"{(\w+)(?::(\w+))?}",
        lambda m: "a/b" if m.group(2) == "path" else "1",
        route.path_format,
    )


async def test_every_route_of_a_group_is_under_one_of_its_prefixes(app: Starlette) -> None:
    groups = [route for route in app.routes if isinstance(route, LazyRoutes)]
    assert len(groups) > 40
    for group in groups:
        for route in every_route(group.routes):
            assert isinstance(route, Route | WebSocketRoute), route
            assert group.covers(_a_path(route)), (group.module, route.path_format)


async def test_a_group_answers_as_its_route_and_names_it_the_route(app: Starlette) -> None:
    scope = {"type": "http", "method": "GET", "path": "/about", "root_path": ""}
    group = next(r for r in app.routes if isinstance(r, LazyRoutes) and r.covers("/about"))
    match, child = group.matches(scope)
    assert match is Match.FULL
    assert isinstance(child["route"], Route) and child["route"].path == "/about"
    scope = {"type": "http", "method": "DELETE", "path": "/about", "root_path": ""}
    assert group.matches(scope)[0] is Match.PARTIAL


async def test_a_page_of_a_group_is_served(client: httpx.AsyncClient) -> None:
    answer = await client.get("/about")
    assert answer.status_code == 200
    assert (await client.delete("/about")).status_code == 405
