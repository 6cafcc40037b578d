"""A module's routes, imported when a request first reaches one of its paths.

Most pages and Mastodon API endpoints are asked for rarely or never between restarts, so
`create_app` names them by module and path prefix (`LazyRoutes`) instead of importing them:
a start then loads ~100 modules fewer (~2 MiB resident, tens of milliseconds). Routing is
the same as with the routes listed in place, in the same order: a group whose prefixes the
path does not start with cannot match, and one that can imports its module and asks its
routes in their order, as the router would have (`tests/node/test_lazy_routes.py` checks
that every route's path starts with one of its group's prefixes). `scope["route"]` is the
route that matched, as without the group.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send


class LazyRoutes(BaseRoute):
    """The `routes` of `module`, for paths equal to one of `exact` or starting with one of
    `prefixes`."""

    def __init__(self, module: str, *prefixes: str, exact: Iterable[str] = ()) -> None:
        self.module = module
        self.prefixes = prefixes
        self.exact = frozenset(exact)

    @cached_property
    def routes(self) -> list[BaseRoute]:
        """The module's routes, imported on first use."""
        found: list[BaseRoute] = importlib.import_module(self.module).routes
        return found

    def covers(self, path: str) -> bool:
        """Whether a route of this group could match `path`."""
        return path in self.exact or path.startswith(self.prefixes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket") or not self.covers(get_route_path(scope)):
            return Match.NONE, {}
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child_scope, "route": route}
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        if partial is not None:
            return Match.PARTIAL, {**partial[1], "route": partial[0]}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope["route"]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


def every_route(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes in order, each group's imported and listed in its place."""
    for route in routes:
        if isinstance(route, LazyRoutes):
            yield from every_route(route.routes)
        else:
            yield route
