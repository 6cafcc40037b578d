"""An app signs a member in through the browser (the authorization-code flow that Elk,
Phanpy and Ivory use): Mastodon.py builds the request, a real Chromium signs in and
authorises, and the redirect back to the app carries a code Mastodon.py turns into a token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from mastodon import Mastodon
from playwright.sync_api import Page, expect

from tests.clients.test_mastodon_py import ByName
from tests.rig.nodes import NodeProcess

CALLBACK = "https://elk.example/callback"
SCOPES = ["read", "write"]


@pytest.mark.fleet(size=1)
def test_an_app_signs_a_member_in_through_the_browser(
    fleet: list[NodeProcess], phone: Page
) -> None:
    node = fleet[0]
    password = node.create_member("maria")
    session = ByName(node)
    client_id, secret = Mastodon.create_app(
        "Elk", api_base_url=node.base_url, scopes=SCOPES, redirect_uris=CALLBACK, session=session
    )
    api = Mastodon(
        client_id=client_id,
        client_secret=secret,
        api_base_url=node.base_url,
        version_check_mode="none",
        session=session,
    )
    phone.route(f"{CALLBACK}*", lambda route: route.fulfill(body="<h1>Back in the app</h1>"))

    phone.goto(
        api.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, state="s1", allow_http=True)
    )
    phone.get_by_label("Nickname").fill("maria")
    phone.get_by_label("Password").fill(password)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", name="Let Elk use your account?")).to_be_visible()
    phone.get_by_role("button", name="Authorise").click()

    phone.wait_for_url(f"{CALLBACK}*")
    answer = parse_qs(urlsplit(phone.url).query)
    assert answer["state"] == ["s1"]
    api.log_in(code=answer["code"][0], redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)
    assert api.account_verify_credentials().username == "maria"
