"""Personas: a login acts as its own account, the nicknames it made, and (staff) the
organisation; on the web it chooses in /settings, in an app on the consent page. Moderation
acts on the login; a mention of the organisation reaches every staff login."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from starlette.applications import Starlette

from activitypub import ActorType
from content import oauth, personas, push_subscriptions, users
from content.accounts import Account, get_local
from content.notifications import Notification
from content.oauth import AccessToken
from content.personas import PersonaError
from content.users import Role, User
from federation import push
from federation.push import PushMessage
from node import admission
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_directory_pages import sign_in
from tests.rig import world
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
REDIRECT = "https://app.example/callback"
AP = {"Accept": "application/activity+json"}


async def _people(services: Services) -> dict[str, Account]:
    async with services.sessions() as session, session.begin():
        found = {
            "org": await world.local_actor(
                session, "organisation", ActorType.ORGANIZATION, base_url=BASE
            ),
            "sam": await world.local_member(session, "sam", base_url=BASE, role=Role.STAFF),
            "tess": await world.local_member(session, "tess", base_url=BASE, role=Role.ADMIN),
            "mia": await world.local_member(session, "mia", base_url=BASE),
        }
    return found


async def _persona(services: Services, login: str, username: str) -> Account:
    async with services.sessions() as session, session.begin():
        user = await session.get(User, (await _account(services, login)).id)
        assert user is not None
        return await personas.create(
            session, user, base_url=BASE, username=username, keypair=keypair_for_tests(4)
        )


async def _with_nickname(
    client: httpx.AsyncClient, services: Services, login: str, nickname: str
) -> tuple[dict[str, Account], Account]:
    """Everyone of `_people`, a further nickname of `login`, and `login` signed in."""
    people = await _people(services)
    made = await _persona(services, login, nickname)
    await sign_in(client, login)
    return people, made


async def _account(services: Services, username: str) -> Account:
    async with services.sessions() as session:
        found = await get_local(session, username, include_gone=True)
    assert found is not None
    return found


async def test_a_login_acts_as_itself_its_nicknames_and_staff_as_the_organisation(
    services: Services,
) -> None:
    people = await _people(services)
    night = await _persona(services, "mia", "nightowl")
    async with services.sessions() as session, session.begin():
        mia = await session.get(User, people["mia"].id)
        sam = await session.get(User, people["sam"].id)
        assert mia is not None and sam is not None
        assert [a.username for a in await personas.identities(session, mia)] == [
            "mia",
            "nightowl",
        ]
        assert [a.username for a in await personas.identities(session, sam)] == [
            "sam",
            "organisation",
        ]
        assert await personas.may_act_as(session, mia, night)
        assert not await personas.may_act_as(session, sam, night)
        assert not await personas.may_act_as(session, mia, people["org"])
        assert not await personas.may_act_as(session, mia, people["sam"])
        assert await personas.may_act_as(session, sam, people["org"])
        login = await personas.login_of(session, night)
        assert login is not None and login.account_id == people["mia"].id
        assert await personas.login_of(session, people["org"]) is None
        sam.role = Role.MEMBER  # no longer staff: the organisation is no longer hers
        assert not await personas.may_act_as(session, sam, people["org"])

    await _persona(services, "mia", "second")
    with pytest.raises(PersonaError):
        await _persona(services, "mia", "third")


async def test_the_web_acts_as_the_identity_chosen_in_settings(
    client: httpx.AsyncClient, services: Services
) -> None:
    people = await _people(services)
    await sign_in(client, "sam")
    page = await client.get("/settings")
    assert "@organisation" in page.text and "Who you are acting as" in page.text

    chosen = await client.post("/settings/identity", data={"identity": str(people["org"].id)})
    assert chosen.status_code == 303
    home = await client.get("/home")
    assert 'href="/@organisation"' in home.text
    posted = await client.post("/compose", data={"text": "Outreach tonight from 8 pm"})
    assert posted.status_code == 303
    profile = await client.get("/@organisation")
    assert "Outreach tonight from 8 pm" in profile.text
    assert "Outreach tonight" not in (await client.get("/@sam")).text
    # Settings of the login stay hers: two-factor is offered, the page names no one else.
    assert "Two-factor sign-in" in (await client.get("/settings")).text

    back = await client.post("/settings/identity", data={"identity": str(people["sam"].id)})
    assert back.status_code == 303
    assert 'href="/@sam"' in (await client.get("/home")).text


async def test_a_member_cannot_act_as_the_organisation_or_another_login(
    client: httpx.AsyncClient, services: Services
) -> None:
    people = await _people(services)
    await _persona(services, "sam", "quiet")
    await sign_in(client, "mia")
    assert "@organisation" not in (await client.get("/settings")).text
    for other in (people["org"], await _account(services, "quiet")):
        await client.post("/settings/identity", data={"identity": str(other.id)})
        home = await client.get("/home")
        assert 'href="/@mia"' in home.text and f'href="/@{other.username}"' not in home.text


def without_key_material(document: object) -> object:
    """`document` without its keys' random text (PEM and multibase), in which any three
    letters may turn up: "mia" once did, in a public key."""
    if isinstance(document, dict):
        return {
            name: without_key_material(value)
            for name, value in document.items()
            if name not in ("publicKeyPem", "publicKeyMultibase")
        }
    if isinstance(document, list):
        return [without_key_material(value) for value in document]
    return document


async def test_a_member_makes_a_second_nickname_that_no_page_links_to_the_first(
    client: httpx.AsyncClient, services: Services, app: Starlette
) -> None:
    await _people(services)
    await sign_in(client, "mia")
    made = await client.post("/settings/identity/new", data={"username": "nightowl"})
    assert made.status_code == 303 and made.headers["location"] == "/@nightowl"
    await client.post("/compose", data={"text": "hello from the night"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as other:
        night = (await other.get("/@nightowl")).text
        assert "hello from the night" in night and "mia" not in night
        assert "nightowl" not in (await other.get("/@mia")).text
        actor = (
            await other.get("/users/nightowl", headers={"Accept": "application/activity+json"})
        ).json()
    assert "mia" not in str(without_key_material(actor)) and actor.get("alsoKnownAs", []) == []

    taken = await client.post("/settings/identity/new", data={"username": "sam"})
    assert "sam" in await world.notice_after(client, taken)


async def _grant(client: httpx.AsyncClient, identity: Account | None) -> httpx.Response:
    app = (
        await client.post(
            "/api/v1/apps",
            data={"client_name": "Tusky", "redirect_uris": REDIRECT, "scopes": "read write"},
        )
    ).json()
    query = {"client_id": app["client_id"], "redirect_uri": REDIRECT, "scope": "read write"}
    page = await client.get(f"/oauth/authorize?{urlencode(query)}")
    assert page.status_code == 200
    form = {**query, **({"identity": str(identity.id)} if identity else {})}
    granted = await client.post("/oauth/authorize", data=form)
    if granted.status_code != 303:
        return granted
    code = parse_qs(urlsplit(granted.headers["location"]).query)["code"][0]
    return await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": REDIRECT,
        },
    )


async def test_the_consent_page_grants_an_app_the_identity_chosen(
    client: httpx.AsyncClient, services: Services
) -> None:
    people = await _people(services)
    await sign_in(client, "sam")
    app = (
        await client.post("/api/v1/apps", data={"client_name": "Tusky", "redirect_uris": REDIRECT})
    ).json()
    query = urlencode({"client_id": app["client_id"], "redirect_uri": REDIRECT})
    page = (await client.get(f"/oauth/authorize?{query}")).text
    radios = re.findall(r'type="radio" name="identity" value="(\d+)"', page)
    assert radios == [str(people["sam"].id), str(people["org"].id)]

    token = (await _grant(client, people["org"])).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    me = (await client.get("/api/v1/accounts/verify_credentials", headers=bearer)).json()
    assert me["username"] == "organisation" and "sam" not in str(me)
    status = await client.post("/api/v1/statuses", data={"status": "Clinic open"}, headers=bearer)
    assert status.json()["account"]["username"] == "organisation"

    # The role goes, and with it every app's right to act as the organisation.
    async with services.sessions() as session, session.begin():
        await session.execute(
            update(User).where(User.account_id == people["sam"].id).values(role=Role.MEMBER)
        )
    gone = await client.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert gone.status_code == 401


async def test_a_member_cannot_grant_an_app_someone_elses_identity(
    client: httpx.AsyncClient, services: Services
) -> None:
    people = await _people(services)
    await sign_in(client, "mia")
    refused = await _grant(client, people["org"])
    assert refused.status_code == 400
    own = (await _grant(client, None)).json()["access_token"]
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {own}"}
    )
    assert me.json()["username"] == "mia"


async def test_moderation_acts_on_the_login_behind_a_nickname(
    client: httpx.AsyncClient, services: Services
) -> None:
    people, night = await _with_nickname(client, services, "mia", "nightowl")
    await client.post("/settings/identity", data={"identity": str(night.id)})
    token = (await _grant(client, night)).json()["access_token"]
    async with services.sessions() as session, session.begin():
        moderator = await world.bearer(session, people["tess"], ["admin:write"])
    suspended = await client.post(
        f"/api/v1/admin/accounts/{night.id}/action", data={"type": "suspend"}, headers=moderator
    )
    assert suspended.status_code == 200, suspended.text
    # Only the nickname is suspended where others see it: her own account answers as ever,
    # so nobody learns whose nickname it was; but her login is barred from every identity.
    assert (await _account(services, "mia")).suspended_at is None
    assert (await client.get("/users/mia", headers=AP)).status_code == 200
    assert (await client.get("/users/nightowl", headers=AP)).status_code == 410
    assert (await client.get("/home")).status_code == 303  # signed out
    answer = await client.post("/login", data={"username": "mia", "password": world.PASSWORD})
    assert answer.status_code == 401
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert me.status_code == 401


async def test_a_limited_nickname_stays_apart_and_its_login_makes_no_new_one(
    client: httpx.AsyncClient, services: Services
) -> None:
    people, night = await _with_nickname(client, services, "mia", "nightowl")
    async with services.sessions() as session, session.begin():
        moderator = await world.bearer(session, people["tess"], ["admin:write"])
    silenced = await client.post(
        f"/api/v1/admin/accounts/{night.id}/action", data={"type": "silence"}, headers=moderator
    )
    assert silenced.status_code == 200, silenced.text
    assert (await _account(services, "nightowl")).silenced_at is not None
    assert (await _account(services, "mia")).silenced_at is None  # nothing tells it is hers
    with pytest.raises(PersonaError, match="A limited account cannot make new nicknames"):
        await _persona(services, "mia", "fresh")


async def test_nicknames_made_at_once_stay_within_the_cap(services: Services) -> None:
    await _people(services)

    async def make(number: int) -> bool:
        try:
            await _persona(services, "mia", f"nick{number}")
        except PersonaError:
            return False
        return True

    made = await asyncio.gather(*(make(number) for number in range(6)))
    assert sum(made) == personas.MAX_PERSONAS


async def test_a_staff_member_who_loses_the_role_loses_the_organisations_app_tokens(
    client: httpx.AsyncClient, services: Services
) -> None:
    people = await _people(services)
    await sign_in(client, "sam")
    token = (await _grant(client, people["org"])).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert me.json()["username"] == "organisation"
    async with services.sessions() as session, session.begin():
        await admission.grant_role(session, None, people["sam"], Role.MEMBER)
    async with services.sessions() as session:
        revoked = await session.scalar(
            select(AccessToken.revoked_at).where(AccessToken.acting_id == people["org"].id)
        )
    assert revoked is not None  # so its streams and push subscriptions end too
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert me.status_code == 401


async def test_a_nickname_confirms_a_move_with_its_logins_password(
    client: httpx.AsyncClient, services: Services
) -> None:
    _, night = await _with_nickname(client, services, "mia", "nightowl")
    await client.post("/settings/identity", data={"identity": str(night.id)})
    move = {"confirm": "on", "handle": "nobody@nowhere.invalid"}
    wrong = await client.post("/settings/move", data={**move, "password": "not hers at all"})
    assert "That password is not right." in await world.notice_after(client, wrong)
    right = await client.post("/settings/move", data={**move, "password": world.PASSWORD})
    told = await world.notice_after(client, right)  # past the password, to the move itself
    assert told and "That password is not right." not in told


async def test_a_push_to_an_app_acting_as_a_nickname_is_in_her_logins_language(
    services: Services,
) -> None:
    people = await _people(services)
    night = await _persona(services, "mia", "nightowl")
    async with services.sessions() as session, session.begin():
        login = await session.get(User, people["mia"].id)
        assert login is not None
        login.language = "ro"
        app, _ = oauth.register_app(
            session, name="Tusky", redirect_uris=[REDIRECT], scopes=["read"], website=None
        )
        await session.flush()
        token, _ = oauth.issue_token(session, app, people["mia"], ["read"], acting=night)
        await session.flush()
        subscription = await push_subscriptions.subscribe(
            session, token_id=token.id, member=night, endpoint="https://push.example/1",
            p256dh=b"k" * 65, auth=b"a" * 16, alerts={"mention": True}, policy="all",
            standard=True, sealed_token="",
        )  # fmt: skip
        notification = Notification(
            account_id=night.id, from_account_id=people["sam"].id, type="follow"
        )
        session.add(notification)
        await session.flush()
        message = PushMessage(subscription_id=subscription.id, notification_id=notification.id)
        session.add(message)
        await session.flush()
        parts = await push._parts(session, message)
    assert parts is not None and parts[-1] == "ro"


async def test_a_mention_of_the_organisation_reaches_every_staff_login(
    client: httpx.AsyncClient, services: Services
) -> None:
    people = await _people(services)
    async with services.sessions() as session, session.begin():
        headers = await world.bearer(session, people["mia"])
        staff = {n: await world.bearer(session, people[n]) for n in ("sam", "tess")}
        member = await world.bearer(session, await world.local_member(session, "noor"))
        assert await users.user_of(session, people["org"]) is None
    sent = await client.post(
        "/api/v1/statuses", data={"status": "@organisation is the clinic open?"}, headers=headers
    )
    assert sent.status_code == 200, sent.text
    for bearer in staff.values():
        seen = (await client.get("/api/v1/notifications", headers=bearer)).json()
        assert [(n["type"], n["account"]["username"]) for n in seen] == [("mention", "mia")]
        assert seen[0]["status"]["content"].endswith("is the clinic open?</p>")
    assert (await client.get("/api/v1/notifications", headers=member)).json() == []


async def test_moderators_see_whose_identity_a_reported_nickname_is(
    client: httpx.AsyncClient, services: Services, app: Starlette
) -> None:
    await _people(services)
    night = await _persona(services, "mia", "nightowl")
    async with services.sessions() as session, session.begin():
        noor = await world.bearer(session, await world.local_member(session, "noor"))
    filed = await client.post(
        "/api/v1/reports", data={"account_id": str(night.id), "comment": "spam"}, headers=noor
    )
    assert filed.status_code == 200, filed.text
    await sign_in(client, "tess")
    queue = world.words((await client.get("/admin/reports")).text)
    assert "another identity of @mia" in queue
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as other:
        await sign_in(other, "noor")
        assert "@mia" not in (await other.get("/@nightowl")).text


async def test_staff_work_is_done_as_her_own_account_or_the_organisation_never_a_nickname(
    client: httpx.AsyncClient, services: Services
) -> None:
    people, quiet = await _with_nickname(client, services, "sam", "quiet")
    for identity, staff in ((people["sam"], True), (people["org"], True), (quiet, False)):
        await client.post("/settings/identity", data={"identity": str(identity.id)})
        form = await client.get("/directory/new")
        assert (form.status_code == 200) is staff, (identity.username, form.status_code)


async def test_deleting_her_account_erases_every_identity_she_made(
    client: httpx.AsyncClient, services: Services
) -> None:
    await _with_nickname(client, services, "mia", "nightowl")
    gone = await client.post("/settings/delete", data={"password": world.PASSWORD})
    assert gone.status_code == 200, gone.text
    for username in ("mia", "nightowl"):
        assert (await _account(services, username)).deleted_at is not None
