"""Personas across two real nodes: on B (PostgreSQL) staff member sam speaks as the
organisation, from the web and from Mastodon.py with a token granted for the organisation
identity on the consent page; ally on A (SQLite) follows the organisation, sees both posts
and replies; the reply reaches both staff members' notifications (sam's in her app, tess's
on the web). Nothing in the organisation's or sam's actor, posts or client API links the
two."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from mastodon import Mastodon

from tests.clients.test_mastodon_py import client, registered_app
from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.fleets import Fleet
from tests.rig.nodes import NodeProcess, wait_for
from tests.scenarios.test_directory_federation import following

pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
SCOPES = ["read", "write", "follow"]
OOB = "urn:ietf:wg:oauth:2.0:oob"
AP = {"Accept": "application/activity+json"}
FROM_THE_WEB = "Outreach van tonight from 8 pm at the station"
FROM_THE_APP = "The clinic is open on Tuesday, no papers needed"
REPLY = "thank you, we will tell our members"


@pytest.fixture
def nodes(
    sqlite_databases: SQLiteDatabases, postgresql_databases: PostgresDatabases, tmp_path: Path
) -> Iterator[list[NodeProcess]]:
    """A (SQLite), the ally's node, and B (PostgreSQL), the organisation's."""
    fleet = Fleet(tmp_path, sqlite_databases, postgresql_databases, 2, unsigned_fetches=True)
    try:
        yield fleet.start()
    finally:
        fleet.stop()


def staff(node: NodeProcess, username: str) -> str:
    password = node.create_member(username)
    assert node.run("admin", "grant", username, "--role", "staff").returncode == 0
    return password


def identity_id(page: str, username: str) -> str:
    """The value of the button or radio button that picks `@username` on a page."""
    found = re.search(rf'value="(\d+)"[^>]*>[^<]*<span translate="no">@{username}<', page)
    assert found, page
    return found.group(1)


def names(document: object, username: str) -> bool:
    """Whether a document names the local account `username` (as an id, a handle or a
    field's value)."""
    text = json.dumps(document, default=str)
    return any(f in text for f in (f"/users/{username}", f"@{username}", f'"{username}"'))


def app_for_organisation(node: NodeProcess, sam: httpx.Client) -> Mastodon:
    """Mastodon.py, granted the organisation identity on the consent page sam reads."""
    api = registered_app(node, SCOPES)
    asked = urlsplit(api.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True))
    consent = sam.get(f"{asked.path}?{asked.query}")
    assert consent.status_code == 200, consent.text
    radios = re.findall(r'type="radio" name="identity" value="(\d+)"', consent.text)
    organisation = identity_id(consent.text, "organisation")
    assert len(radios) == 2 and organisation in radios
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    granted = sam.post("/oauth/authorize", data={**fields, "identity": organisation})
    code = re.search(r'<code id="code">([^<]+)</code>', granted.text)
    assert code, granted.text
    api.log_in(code=code.group(1), redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    return api


def test_staff_speak_as_the_organisation_and_hear_its_mentions(nodes: list[NodeProcess]) -> None:
    a, b = nodes
    sam_password, tess_password = staff(b, "sam"), staff(b, "tess")
    ally = client(a, "ally", a.create_member("ally"))
    with (
        closing(b.sign_in("sam", sam_password)) as sam,
        closing(b.sign_in("tess", tess_password)) as tess,
    ):
        [found] = ally.search_v2(f"@organisation@{b.domain}", resolve=True).accounts
        ally.account_follow(found.id)
        wait_for(lambda: following(a, "ally") == 1, what="A's ally follows B's organisation")

        # The web: sam chooses the organisation in her settings and posts as it.
        settings = sam.get("/settings").text
        switched = sam.post(
            "/settings/identity", data={"identity": identity_id(settings, "organisation")}
        )
        assert switched.status_code == 303
        assert sam.post("/compose", data={"text": FROM_THE_WEB}).status_code == 303

        # An app: any Mastodon client, granted the organisation identity.
        organisation = app_for_organisation(b, sam)
        me = organisation.account_verify_credentials()
        assert me["username"] == "organisation"
        posted = organisation.status_post(FROM_THE_APP)
        assert posted["account"]["username"] == "organisation"

        def seen_on_a() -> list[str]:
            return [s["content"] for s in ally.timeline_home()]

        wait_for(lambda: len(seen_on_a()) == 2, what="both posts reach the ally on A")
        statuses = ally.timeline_home()
        assert {s["account"]["acct"] for s in statuses} == {f"organisation@{b.domain}"}
        assert any(FROM_THE_WEB in s["content"] for s in statuses)
        latest = next(s for s in statuses if FROM_THE_APP in s["content"])
        ally.status_post(f"@organisation@{b.domain} {REPLY}", in_reply_to_id=latest["id"])

        # Every staff member hears it: sam in her own app, tess on the web.
        sams_app = client(b, "sam", sam_password)
        wait_for(
            lambda: any(REPLY in n["status"]["content"] for n in sams_app.notifications()),
            what="the ally's reply in sam's notifications",
        )
        mention = sams_app.notifications()[0]
        assert mention["type"] == "mention"
        assert mention["account"]["acct"] == f"ally@{a.domain}"
        assert REPLY in tess.get("/notifications").text
        assert any(REPLY in n["status"]["content"] for n in organisation.notifications())

        # Nothing links sam and the organisation: actors, posts, client API.
        with b.client() as anyone:
            sam_actor = anyone.get("/users/sam", headers=AP).json()
            org_actor = anyone.get("/users/organisation", headers=AP).json()
            outbox = anyone.get("/users/organisation/outbox?page=true", headers=AP).json()
        assert sam_actor["publicKey"]["publicKeyPem"] != org_actor["publicKey"]["publicKeyPem"]
        assert not names(org_actor, "sam") and not names(sam_actor, "organisation")
        assert not sam_actor.get("alsoKnownAs") and not org_actor.get("alsoKnownAs")
        assert not names(outbox, "sam") and not names(outbox, "tess")
        assert not names(ally.timeline_home(), "sam")
        assert not names(me, "sam") and not names(organisation.account_statuses(me["id"]), "sam")
        assert not names(sams_app.account_verify_credentials(), "organisation")
