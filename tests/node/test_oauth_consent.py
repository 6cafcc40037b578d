"""The OAuth consent page lets its form go back to the app, and nowhere else: browsers
apply the page's `form-action` policy to the redirect that follows the form."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from node.state import Services
from tests.rig import world

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("redirect_uri", "allowed"),
    [
        ("https://elk.example/callback", "'self' https://elk.example"),
        ("oauth2redirect://com.keylesspalace.tusky/", "'self' oauth2redirect:"),
        ("http://127.0.0.1:4000/cb", "'self' http://127.0.0.1:4000"),
        (world.OOB, "'self';"),
    ],
)
async def test_the_consent_form_may_redirect_to_the_apps_own_address_only(
    client: httpx.AsyncClient, services: Services, redirect_uri: str, allowed: str
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice")
    app = (
        await client.post(
            "/api/v1/apps",
            data={"client_name": "an app", "redirect_uris": redirect_uri, "scopes": "read"},
        )
    ).json()
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    query = urlencode(
        {"client_id": app["client_id"], "redirect_uri": redirect_uri, "response_type": "code"}
    )
    page = await client.get(f"/oauth/authorize?{query}")
    assert "Let an app use your account?" in page.text
    policies = page.headers.get_list("content-security-policy")
    assert len(policies) == 1 and f"form-action {allowed}" in policies[0]

    elsewhere = await client.get("/login")
    assert "form-action 'self';" in elsewhere.headers["content-security-policy"]
