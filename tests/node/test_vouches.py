"""Co-verification in one node, on each side: staff here say their organisation checked a
listing mirrored from elsewhere (a statement signed by the organisation, kept with the copy
and added to the listing at its origin); a partner's statement added to a listing of ours is
kept and published with it; a mirrored listing shows the statements it carries whose proofs
verify, and drops one altered on the way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from babel.dates import format_date
from sqlalchemy import select

from activitypub import ActorType, integrity
from content import accounts
from federation import vouch_wire
from moderation import domain_blocks
from moderation.audit import AuditEntry
from moderation.domain_blocks import BlockTerms, Severity
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_corrections import (  # noqa: F401 (a fixture)
    ORGANISATION,
    mirrored_listing,
    publish,
    queued,
    staffed,
)
from tests.node.test_directory_pages import sign_in
from tests.node.test_listing_inbox import LISTING, activity, follow_eve, listing, send
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("organisations")]
ONA = "https://victim.example/users/ona"
SECRETS = {EVE: integrity.new_secret(), ONA: integrity.new_secret()}


def today() -> date:
    """Today as the node sees it, asked when a test needs it: a constant taken when the
    module was imported said yesterday to a test that ran just after midnight."""
    return datetime.now(UTC).date()


def shown_day() -> str:
    """Today as an English page writes a statement's day."""
    return format_date(today(), "d MMM y", locale="en")


@pytest.fixture
def organisations(remote: FakeServer, staffed: None) -> None:  # noqa: F811 (the fixture)
    """The organisation here with sam on its staff (`staffed`); eve and ona, organisations
    publishing Ed25519 keys for their statements."""
    remote.add_actor(EVE, keypair_for_tests(3), "eve", ActorType.ORGANIZATION,
                     ed25519_secret=SECRETS[EVE])  # fmt: skip
    remote.add_actor(ONA, keypair_for_tests(5), "ona", ActorType.ORGANIZATION,
                     ed25519_secret=SECRETS[ONA])  # fmt: skip


def statement(maker: str, about: str, **changes: Any) -> dict[str, Any]:
    """`maker`'s statement that it checked `about` today, proven with its key."""
    made = {
        "@context": [*vouch_wire.CONTEXT, integrity.DATA_INTEGRITY_CONTEXT],
        "id": f"{maker}#co-verifications/1",
        "type": "CoVerification",
        "attributedTo": maker,
        "object": about,
        "verifiedOn": today().isoformat(),
        "published": f"{today().isoformat()}T10:00:00Z",
        **changes,
    }
    return integrity.sign(made, key_id=f"{maker}#ed25519-key", secret=SECRETS[maker])


def altered(proven: dict[str, Any]) -> dict[str, Any]:
    return {**proven, "verifiedOn": "2026-01-01"}


async def test_staff_here_vouch_for_a_mirrored_listing_signed_by_the_organisation(
    client: httpx.AsyncClient, services: Services
) -> None:
    listing_id = await mirrored_listing(client, services)  # alice, a member, signed in
    page = f"/directory/{listing_id}"
    assert "We checked it too" not in (await client.get(page)).text
    assert (await client.post(f"{page}/co-verify")).status_code == 403
    await client.post("/logout")
    await sign_in(client, "sam")
    assert "We checked it too" in (await client.get(page)).text
    done = await client.post(f"{page}/co-verify")
    assert done.headers["location"] == page
    shown = (await client.get(page)).text
    assert "your organisation's check is shown" in shown
    assert f"organisation (harbour.test), on {shown_day()}" in shown

    [added] = await queued(services, "Add")
    assert added["actor"] == ORGANISATION and added["to"] == [EVE]
    made = added["object"]
    assert (made["type"], made["object"], made["verifiedOn"]) == (
        "CoVerification", LISTING, today().isoformat()
    )  # fmt: skip
    async with services.sessions() as session:
        ours = await accounts.get_local(session, "organisation")
        assert ours is not None and ours.assertion_key is not None
        integrity.verify(made, ours.assertion_key)  # raises unless the organisation signed it
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "listing.co-verify" in actions


async def test_a_partners_statement_is_kept_and_published_with_our_listing(
    client: httpx.AsyncClient, services: Services
) -> None:
    path = await publish(client)
    about = f"{BASE}{path}"
    forged = altered(statement(EVE, about))
    add = {"@context": vouch_wire.CONTEXT, "type": "Add", "actor": EVE, "target": about}
    await send(client, services, {**add, "id": f"{EVE}/adds/1", "object": forged})
    async with services.sessions() as session:
        _, outcome = await inbox_outcome(session, f"{EVE}/adds/1")
    assert "not a current co-verification" in str(outcome)
    assert "Also checked by" not in (await client.get(path)).text

    await send(client, services, {**add, "id": f"{EVE}/adds/2", "object": statement(EVE, about)})
    assert f"eve (remote.example), on {shown_day()}" in (await client.get(path)).text
    published = (await client.get(path, headers={"Accept": "application/activity+json"})).json()
    [carried] = published["coVerifiedBy"]
    integrity.verify(carried, integrity.public_of(SECRETS[EVE]))


async def test_a_mirror_shows_the_statements_that_verify_and_drops_one_altered(
    client: httpx.AsyncClient, services: Services
) -> None:
    await follow_eve(services)
    vouched = listing(coVerifiedBy=[statement(ONA, LISTING)])
    await send(client, services, activity("Create", vouched, 1))
    await sign_in(client, "alice")
    found = (await client.get("/directory", params={"q": "rosa"})).text
    page = "/directory/" + found.split('href="/directory/')[1].split('"')[0]
    assert f"ona (victim.example), on {shown_day()}" in (await client.get(page)).text
    tampered = listing(coVerifiedBy=[altered(statement(ONA, LISTING))])
    await send(client, services, activity("Update", tampered, 2))
    assert "Also checked by" not in (await client.get(page)).text
    other = listing(coVerifiedBy=[statement(ONA, "https://remote.example/directory/2")])
    await send(client, services, activity("Update", other, 3))  # about another listing
    assert "Also checked by" not in (await client.get(page)).text


async def test_a_mirror_takes_no_padded_statement_nor_the_owners_own_site_vouching_for_itself(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    twin = "https://remote.example/users/twin"  # another organisation on eve's own server
    SECRETS[twin] = integrity.new_secret()
    remote.add_actor(twin, keypair_for_tests(6), "twin", ActorType.ORGANIZATION,
                     ed25519_secret=SECRETS[twin])  # fmt: skip
    await follow_eve(services)
    padded = statement(ONA, LISTING, padding="x" * 5000)
    carried = [statement(EVE, LISTING), statement(twin, LISTING), padded]
    await send(client, services, activity("Create", listing(coVerifiedBy=carried), 1))
    await sign_in(client, "alice")
    found = (await client.get("/directory", params={"q": "rosa"})).text
    page = "/directory/" + found.split('href="/directory/')[1].split('"')[0]
    assert "Also checked by" not in (await client.get(page)).text


async def test_a_check_by_a_server_suspended_since_is_no_longer_shown(
    client: httpx.AsyncClient, services: Services
) -> None:
    await follow_eve(services)
    await send(
        client, services, activity("Create", listing(coVerifiedBy=[statement(ONA, LISTING)]), 1)
    )
    await sign_in(client, "alice")
    found = (await client.get("/directory", params={"q": "rosa"})).text
    page = "/directory/" + found.split('href="/directory/')[1].split('"')[0]
    assert f"ona (victim.example), on {shown_day()}" in (await client.get(page)).text
    async with services.sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms("victim.example", Severity.SUSPEND))
    assert "Also checked by" not in (await client.get(page)).text


async def test_one_site_keeps_one_statement_however_many_organisations_it_runs() -> None:
    first = statement(ONA, LISTING)
    second = {**statement(ONA, LISTING), "attributedTo": "https://a.victim.example/users/x"}
    assert vouch_wire.with_statement([first], second) == [second]
    eves = statement(EVE, LISTING)  # one proof: two may be made in different seconds
    assert vouch_wire.with_statement([first], eves) == [first, eves]
