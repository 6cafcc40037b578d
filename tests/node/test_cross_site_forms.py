"""Every state-changing form refuses a request a browser sends from another site (CSRF,
login CSRF included): one middleware, checked here against every route the app has."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from node.lazy_routes import every_route
from node.middleware import CROSS_SITE_REFUSED, UNSAFE_METHODS, signed_or_bearer
from tests.node.conftest import BASE

pytestmark = pytest.mark.anyio
INBOXES = ("/inbox", "/actor/inbox", "/users/alice/inbox")
EXAMPLES = {"username": "alice", "group": "peers", "code": "RO", "answer": "accept"}


def unsafe_routes(app: Starlette) -> list[tuple[str, str]]:
    """(method, path) of every route that changes state, with its parameters filled in."""
    found = []
    for route in every_route(app.routes):
        if not isinstance(route, Route):
            continue
        path = re.sub(
            r"{(\w+)(?::\w+)?}", lambda m: EXAMPLES.get(m.group(1), "1"), route.path_format
        )
        found += [(method, path) for method in sorted((route.methods or set()) & UNSAFE_METHODS)]
    return found


async def test_every_form_refuses_another_sites_origin(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    routes = unsafe_routes(app)
    forms = [(method, path) for method, path in routes if not signed_or_bearer(path)]
    for needed in ("/login", "/logout", "/register", "/login/code", "/oauth/authorize"):
        assert ("POST", needed) in forms
    assert len(forms) > 30
    for method, path in forms:
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Origin": f"{BASE}.evil.example"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Origin": BASE, "Sec-Fetch-Site": "same-site"},
        ):
            answer = await client.request(method, path, headers=headers, data={"a": "b"})
            assert (answer.status_code, answer.content) == (403, CROSS_SITE_REFUSED), (
                method,
                path,
                headers,
            )


async def test_signed_and_token_endpoints_are_left_to_their_own_checks(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    inboxes = [("POST", path) for path in INBOXES]  # answered by `InboxFirst`, not routes
    routes = [(method, path) for method, path in unsafe_routes(app) if signed_or_bearer(path)]
    for needed in ("/oauth/token", "/api/v1/statuses"):
        assert ("POST", needed) in routes
    exempt = inboxes + routes
    for method, path in exempt:
        answer = await client.request(method, path, headers={"Origin": "https://evil.example"})
        assert answer.content != CROSS_SITE_REFUSED, (method, path)


async def test_a_form_from_this_site_is_let_through(client: httpx.AsyncClient) -> None:
    for headers in ({"Origin": BASE, "Sec-Fetch-Site": "same-origin"}, {}):
        answer = await client.post(
            "/login", data={"username": "nobody", "password": "wrong"}, headers=headers
        )
        assert answer.status_code == 401
