"""Two-factor sign-in as a member meets it: set up on /settings with an authenticator app
(pyotp stands in for the app), then asked for at sign-in, by the browser flow only."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pyotp
import pytest

from content import accounts, users
from content.two_factor import SecretBox, TwoFactorError
from node.state import Services
from tests.rig import world

pytestmark = pytest.mark.anyio


async def test_setting_up_shows_the_key_and_needs_a_current_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    await _member(services)
    await _sign_in(client)
    page = await client.get("/settings")
    assert "Two-factor sign-in is off" in page.text
    assert "/settings/two-factor/start" in page.text

    assert (await client.post("/settings/two-factor/start")).status_code == 303
    page = await client.get("/settings")
    assert page.headers["cache-control"] == "no-store"
    secret = _secret_on(page.text)
    uri = unescape(re.search(r'<code id="otpauth-uri">([^<]+)</code>', page.text)[1])  # type: ignore[index]
    parsed = urlsplit(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert parse_qs(parsed.query)["secret"] == [secret]
    assert parse_qs(parsed.query)["issuer"] == ["harbour.test"]
    assert "<img" not in page.text  # no QR image, no third-party asset

    app = pyotp.TOTP(secret)
    wrong = await client.post(
        "/settings/two-factor/enable", data={"password": world.PASSWORD, "code": _wrong(app)}
    )
    assert wrong.status_code == 400 and "that code is not right" in wrong.text
    no_password = await client.post(
        "/settings/two-factor/enable", data={"password": "not it", "code": app.now()}
    )
    assert no_password.status_code == 400 and "That password is not right" in no_password.text
    assert "Two-factor sign-in is <strong>on</strong>" not in (await client.get("/settings")).text

    codes = _recovery_codes(
        await client.post(
            "/settings/two-factor/enable", data={"password": world.PASSWORD, "code": app.now()}
        )
    )
    assert len(codes) == 10 and len(set(codes)) == 10
    page = await client.get("/settings")
    assert "Two-factor sign-in is <strong>on</strong>" in page.text
    assert "10 unused recovery codes" in page.text
    assert secret.lower() not in page.text.lower().replace(" ", "")  # shown only while setting up


async def test_the_secret_is_encrypted_at_rest(
    client: httpx.AsyncClient, services: Services
) -> None:
    app, _, _ = await _turn_on(client, services)
    secret = app.secret
    async with services.sessions() as session:
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        user = await users.user_of(session, alice)
    assert user is not None and user.totp_secret is not None
    assert secret not in user.totp_secret
    assert SecretBox(services.settings.secret_key).open(user.totp_secret) == secret
    with pytest.raises(TwoFactorError, match="secret key changed"):
        SecretBox("another-secret-key-of-at-least-32-characters").open(user.totp_secret)


async def test_signing_in_asks_for_the_code_and_refuses_wrong_and_replayed_ones(
    client: httpx.AsyncClient, services: Services
) -> None:
    app, _, first_code = await _turn_on(client, services)
    await _password_step(client)
    assert (await client.get("/settings")).headers["location"] == "/login?next=/settings"

    wrong = await client.post("/login/code", data={"code": _wrong(app)})
    assert wrong.status_code == 401 and "That code is not right" in wrong.text
    # The code that turned 2FA on was used already; the app's next one works.
    used = await client.post("/login/code", data={"code": first_code})
    assert used.status_code == 401
    following = app.at(time.time() + app.interval)
    signed_in = await client.post("/login/code", data={"code": following})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/home"
    assert (await client.get("/settings")).status_code == 200

    await _password_step(client)
    replayed = await client.post("/login/code", data={"code": following})
    assert replayed.status_code == 401 and "used already" in replayed.text
    assert (await client.get("/settings")).status_code == 303


async def test_a_recovery_code_signs_in_once(client: httpx.AsyncClient, services: Services) -> None:
    _, codes, _ = await _turn_on(client, services)
    for expected in (303, 401):
        await _password_step(client)
        answer = await client.post("/login/code", data={"code": codes[3].upper()})
        assert answer.status_code == expected
    await _password_step(client)
    assert (await client.post("/login/code", data={"code": codes[4]})).status_code == 303
    assert "8 unused recovery codes" in (await client.get("/settings")).text


async def test_the_code_step_alone_is_not_a_way_in(client: httpx.AsyncClient) -> None:
    answer = await client.post("/login/code", data={"code": "123456"})
    assert answer.status_code == 401 and "start again" in answer.text


async def test_guessing_codes_is_rate_limited_like_passwords(
    client: httpx.AsyncClient, services: Services
) -> None:
    app, _, _ = await _turn_on(client, services)
    await _password_step(client)
    answers = [
        (await client.post("/login/code", data={"code": _wrong(app)})).status_code
        for _ in range(10)
    ]
    assert answers[0] == 401 and answers[-1] == 429
    late = await client.post("/login/code", data={"code": app.at(time.time() + app.interval)})
    assert late.status_code == 429


async def test_the_browser_flow_for_apps_goes_through_the_second_step(
    client: httpx.AsyncClient, services: Services
) -> None:
    totp, _, _ = await _turn_on(client, services)
    client.cookies.clear()
    app = await _client_app(client)
    query = urlencode(
        {
            "client_id": app["client_id"],
            "redirect_uri": world.OOB,
            "response_type": "code",
            "scope": "read",
        }
    )
    asked = await client.get(f"/oauth/authorize?{query}")
    assert asked.headers["location"].startswith("/login?next=")
    next_path = parse_qs(urlsplit(asked.headers["location"]).query)["next"][0]
    await client.post(
        "/login", data={"username": "alice", "password": world.PASSWORD, "next": next_path}
    )
    assert (await client.get(f"/oauth/authorize?{query}")).status_code == 303  # not yet
    done = await client.post("/login/code", data={"code": totp.at(time.time() + totp.interval)})
    assert done.headers["location"] == next_path
    assert "Let an app use your account?" in (await client.get(next_path)).text
    granted = await client.post(
        "/oauth/authorize", data=dict(parse_qs(urlsplit(next_path).query, strict_parsing=True))
    )
    code = re.search(r'<code id="code">([^<]+)</code>', granted.text)
    assert code is not None
    token = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code[1],
            "redirect_uri": world.OOB,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert me.json()["username"] == "alice"


async def test_the_password_grant_refuses_accounts_with_two_factor(
    client: httpx.AsyncClient, services: Services
) -> None:
    await _member(services)
    app = await _client_app(client)
    grant = {
        "grant_type": "password",
        "username": "alice",
        "password": world.PASSWORD,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": "read",
    }
    assert (await client.post("/oauth/token", data=grant)).status_code == 200
    await _turn_on(client, services, member=False)
    refused = await client.post("/oauth/token", data=grant)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert "two-factor" in refused.json()["error_description"]
    assert "Sign in through the browser" in refused.json()["error_description"]
    wrong = await client.post("/oauth/token", data={**grant, "password": "not the password"})
    assert wrong.json()["error_description"] == "Invalid username or password"


async def test_turning_it_off_needs_the_password_and_a_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    app, codes, _ = await _turn_on(client, services)
    following = app.at(time.time() + app.interval)
    no_password = await client.post(
        "/settings/two-factor/disable", data={"password": "not it", "code": following}
    )
    assert no_password.status_code == 400 and "Nothing was changed" in no_password.text
    no_code = await client.post(
        "/settings/two-factor/disable", data={"password": world.PASSWORD, "code": _wrong(app)}
    )
    assert no_code.status_code == 400
    off = await client.post(
        "/settings/two-factor/disable", data={"password": world.PASSWORD, "code": codes[0]}
    )
    assert off.headers["location"] == "/settings#two-factor"
    assert "Two-factor sign-in is off." in (await client.get(off.headers["location"])).text
    client.cookies.clear()
    again = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert again.status_code == 303 and again.headers["location"] == "/home"


async def _member(services: Services) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice")


async def _sign_in(client: httpx.AsyncClient) -> None:
    signed = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert signed.status_code == 303


async def _turn_on(
    client: httpx.AsyncClient, services: Services, *, member: bool = True
) -> tuple[pyotp.TOTP, list[str], str]:
    """alice (made here if `member`) signs in and turns 2FA on with her authenticator app;
    the app, her recovery codes and the code that turned it on."""
    if member:
        await _member(services)
    await _sign_in(client)
    await client.post("/settings/two-factor/start")
    secret = _secret_on((await client.get("/settings")).text)
    app = pyotp.TOTP(secret)
    first_code = app.now()
    answer = await client.post(
        "/settings/two-factor/enable", data={"password": world.PASSWORD, "code": first_code}
    )
    return app, _recovery_codes(answer), first_code


async def _password_step(client: httpx.AsyncClient) -> None:
    """Sign out, then give the right password: the code is asked for next."""
    client.cookies.clear()
    asked = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert asked.status_code == 200 and 'action="/login/code"' in asked.text


async def _client_app(client: httpx.AsyncClient) -> dict[str, str]:
    registered = await client.post(
        "/api/v1/apps",
        data={"client_name": "an app", "redirect_uris": world.OOB, "scopes": "read"},
    )
    app: dict[str, str] = registered.json()
    return app


def _secret_on(page: str) -> str:
    found = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert found is not None
    return found[1].replace(" ", "")


def _recovery_codes(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", answer.text)


def _wrong(app: pyotp.TOTP) -> str:
    """A six-digit code the app does not show now, nor in the two steps before or after."""
    now = time.time()
    near = {app.at(now + steps * app.interval) for steps in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in near)
