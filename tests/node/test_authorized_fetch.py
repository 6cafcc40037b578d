"""Authorized fetch: ActivityPub GETs need a signature from a server this node federates with."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from activitypub import KeyPair, message_signatures
from activitypub.signatures import RequestParts, sign
from moderation import allowlist
from node.settings import Settings
from node.state import Services
from tests.node import test_country_pages as country_pages
from tests.node import test_directory_pages as directory_pages
from tests.node.conftest import BASE, EVE
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
AP = {"accept": "application/activity+json"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, authorized_fetch=True)


def signed_get(path: str, keys: KeyPair) -> dict[str, str]:
    headers = {"host": "harbour.test", **AP}
    headers.update(
        sign(
            RequestParts("GET", path, headers),
            key_id=f"{EVE}#main-key",
            private_pem=keys.private_pem,
        )
    )
    return headers


async def test_unsigned_activitypub_gets_are_refused_but_pages_are_not(
    client: httpx.AsyncClient, remote: FakeServer
) -> None:
    for path in ("/users/alice", "/users/alice/outbox", "/users/alice/followers"):
        refused = await client.get(path, headers=AP)
        assert refused.status_code == 401, path
        assert refused.json()["error"].startswith("this node requires signed fetches")
    assert (await client.get("/users/alice", headers={"accept": "text/html"})).status_code == 200
    assert (await client.get("/actor", headers=AP)).status_code == 200
    webfinger = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:alice@harbour.test"}
    )
    assert webfinger.status_code == 200


async def test_signed_gets_from_allowed_servers_are_served(
    client: httpx.AsyncClient, remote: FakeServer, services: Services
) -> None:
    keys = keypair_for_tests(3)
    served = await client.get(
        "/users/alice/outbox?page=true", headers=signed_get("/users/alice/outbox?page=true", keys)
    )
    assert served.status_code == 200 and served.json()["type"] == "OrderedCollectionPage"
    forged = await client.get(
        "/users/alice", headers=signed_get("/users/alice", keypair_for_tests(4))
    )
    assert forged.status_code == 401
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")
    refused = await client.get("/users/alice", headers=signed_get("/users/alice", keys))
    assert refused.status_code == 403
    assert refused.json() == {"error": "this node does not federate with your server"}


def rfc9421_get(
    path: str, keys: KeyPair, origin: str = BASE, now: datetime | None = None
) -> dict[str, str]:
    headers = {"host": "harbour.test", **AP}
    headers.update(
        message_signatures.sign(
            RequestParts("GET", path, headers),
            origin + path,
            key_id=f"{EVE}#main-key",
            private_pem=keys.private_pem,
            now=now,
        )
    )
    return headers


async def test_rfc9421_signed_gets_are_served_only_for_this_host_and_while_fresh(
    client: httpx.AsyncClient, remote: FakeServer
) -> None:
    keys = keypair_for_tests(3)
    path = "/users/alice/outbox?page=true"
    served = await client.get(path, headers=rfc9421_get(path, keys))
    assert served.status_code == 200 and served.json()["type"] == "OrderedCollectionPage"
    for refused_headers in (
        rfc9421_get(path, keypair_for_tests(4)),  # another key than eve's
        rfc9421_get(path, keys, origin="https://other.example"),  # signed for another host
        rfc9421_get(path, keys, now=datetime.now(UTC) - timedelta(hours=2)),  # too old
        rfc9421_get(path, keys, now=datetime.now(UTC) + timedelta(hours=1)),  # from the future
    ):
        refused = await client.get(path, headers=refused_headers)
        assert refused.status_code == 401, refused.json()


async def test_listings_and_country_pages_are_served_to_other_servers_only_when_signed(
    client: httpx.AsyncClient, remote: FakeServer, services: Services
) -> None:
    await directory_pages.setup(services)
    await directory_pages.sign_in(client, "sam")
    listing = (await client.post("/directory/new", data=directory_pages.FORM)).headers["location"]

    assert (await client.post("/countries/de/edit", data=country_pages.FORM)).status_code == 303
    country = country_pages.OBJECT.removeprefix(BASE)

    for path, name in ((listing, "Night clinic"), (country, "Germany")):
        refused = await client.get(path, headers=AP)
        served = await client.get(path, headers=signed_get(path, keypair_for_tests(3)))
        assert refused.status_code == 401, path
        assert served.status_code == 200 and name in served.json()["name"], path
    assert "Night clinic" in (await client.get(listing)).text
